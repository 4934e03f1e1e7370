// asio_echo: the bench's standalone-Asio (1.22) echo peer, C++20 coroutines, one thread; epoll or io_uring by build flags.
//
// Usage: asio_echo PORT   (listens on 0.0.0.0:PORT, prints "listening on", stops on SIGINT/SIGTERM)
// Built by bench/peers/build.sh twice: default (epoll reactor) and with
// -DASIO_HAS_IO_URING -DASIO_DISABLE_EPOLL (io_uring for sockets, links liburing).
// Same shape as coring-echo: read what is there (up to 4 KiB), write all of it, repeat.
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::awaitable<void> echo(asio::ip::tcp::socket s) {
  char buf[4096];  // the size of one coring receive buffer: same per-read size, same per-connection memory
  for (;;) {
    auto [rerr, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
    if (rerr) co_return;
    auto [werr, m] = co_await asio::async_write(s, asio::buffer(buf, n), use_tuple);
    if (werr) co_return;
  }
}

asio::awaitable<void> serve(asio::ip::tcp::acceptor& acceptor) {
  for (;;) {
    auto [err, s] = co_await acceptor.async_accept(use_tuple);
    if (err == asio::error::operation_aborted) co_return;
    if (err) continue;  // e.g. EMFILE: try again
    s.set_option(asio::ip::tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), echo(std::move(s)), asio::detached);
  }
}

const char* backend_name() {
#if defined(ASIO_HAS_IO_URING_AS_DEFAULT)
  return "io_uring";
#else
  return "epoll";
#endif
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: asio_echo PORT\n");
    return 2;
  }
  asio::io_context io(1);  // concurrency hint 1: one thread, no locking
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::tcp::v4(), static_cast<unsigned short>(std::atoi(argv[1]))});
  acceptor.listen(4096);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, auto) { io.stop(); });
  asio::co_spawn(io, serve(acceptor), asio::detached);
  std::fprintf(stderr, "asio_echo (%s): listening on 0.0.0.0:%s\n", backend_name(), argv[1]);
  io.run();
  return 0;
}
