// coring-echo: a TCP echo server on the io_uring or epoll backend, or thread-per-connection.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "coring/coring.hpp"
#include "common/app_setup.hpp"
#include "threaded_echo.hpp"

using namespace coring;

namespace {

Task<> echo(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();           // bytes lent from the shard's buffer pool
    if (!chunk || chunk->empty()) co_return;  // error, or the peer closed
    if (!co_await s.send_all(*chunk)) co_return;
  }  // the chunk goes back to the pool here
}

Task<> serve(Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;  // cancelled: the runtime is stopping
    spawn(echo(std::move(*s)));
  }
}

Task<int> run(std::string addr, ListenOptions opts) {
  auto l = Listener::bind(addr, opts);
  if (!l) {
    std::fprintf(stderr, "coring-echo: cannot listen on %s: %s\n", addr.c_str(), l.error().message().c_str());
    co_return 1;
  }
  std::fprintf(stderr, "coring-echo: listening on %s\n", l->local_address().to_string().c_str());
  spawn(serve(std::move(*l)));
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  std::fprintf(stderr, "coring-echo: %s, stopping\n", sig ? strsignal(*sig) : "signal wait failed");
  co_return 0;
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-echo: TCP echo server"};
  app.set_version_flag("--version", std::string("coring-echo ") + std::string(coring::version()));
  std::string host = "0.0.0.0";
  uint16_t port = 7000;
  std::string backend = "uring";
  RuntimeOptions opts;
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port,-p", port, "TCP port");
  app.add_option("--backend", backend, "uring | epoll | threads")->check(CLI::IsMember({"uring", "epoll", "threads", "auto"}));
  app.add_option("--buffers", opts.buffer_count, "receive buffers in the pool (power of two)");
  app.add_option("--buffer-size", opts.buffer_size, "bytes per receive buffer");
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);

  apps::raise_fd_limit();
  block_signals(SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  const std::string addr = host + ":" + std::to_string(port);
  if (backend == "threads") return apps::run_threaded_echo(addr);

  opts.backend = *parse_backend(backend);
  opts.drain_timeout = std::chrono::milliseconds(1000);
  Runtime rt(opts);
  return rt.block_on(run(addr, ListenOptions{}));
}
