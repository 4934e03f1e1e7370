// faulty_echo: an echo (or tiny HTTP) server that damages its answers on purpose, to test coring-load's checks.
//
// Usage: faulty_echo MODE OFFSET   (listens on 127.0.0.1, an ephemeral port,
// printed as "listening on 127.0.0.1:PORT"; stops on SIGINT/SIGTERM)
//   none   a correct echo server
//   flip   inverts the byte at stream offset OFFSET of every connection
//   drop   leaves out the byte at OFFSET
//   extra  sends one extra byte after the byte at OFFSET
//   close  closes the connection once OFFSET bytes have been echoed
//   http   answers every request (a head ending in a blank line) with
//          200 and "Hello, World!"; http-404 and http-length (a 14-byte
//          body) answer wrongly from the OFFSET-th request of a connection on
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "coring/coring.hpp"

using namespace coring;

namespace {

enum class Fault { none, flip, drop, extra, close, http, http_404, http_length };

struct Setup {
  Fault fault = Fault::none;
  uint64_t offset = 0;
};

/// The HTTP modes: one response per "\r\n\r\n" seen on the stream.
Task<> http(Stream s, Setup setup) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
  const std::string bad = setup.fault == Fault::http_404 ? "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
                                                         : "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nHello, World!!";
  std::string tail;  // the last 3 bytes seen, to find a blank line split across reads
  uint64_t requests = 0;
  std::string out;
  for (;;) {
    auto chunk = co_await s.recv();
    if (!chunk || chunk->empty()) co_return;
    std::string seen = tail + std::string(reinterpret_cast<const char*>(chunk->data()), chunk->size());
    out.clear();
    for (std::size_t at = seen.find("\r\n\r\n"); at != std::string::npos; at = seen.find("\r\n\r\n", at + 4))
      out += (setup.fault != Fault::http && ++requests > setup.offset) ? bad : ok;
    tail = seen.size() > 3 ? seen.substr(seen.size() - 3) : seen;
    if (!out.empty() && !co_await s.send_all(std::string_view(out))) co_return;
  }
}

Task<> echo(Stream s, Setup setup) {
  uint64_t done = 0;  // bytes of the stream already handled
  std::vector<std::byte> out;
  for (;;) {
    auto chunk = co_await s.recv();
    if (!chunk || chunk->empty()) co_return;
    out.assign(chunk->data(), chunk->data() + chunk->size());
    const uint64_t begin = done;
    done += chunk->size();
    if (setup.fault != Fault::none && setup.offset >= begin && setup.offset < done) {
      const std::size_t at = static_cast<std::size_t>(setup.offset - begin);
      switch (setup.fault) {
        case Fault::flip: out[at] = ~out[at]; break;
        case Fault::drop: out.erase(out.begin() + static_cast<std::ptrdiff_t>(at)); break;
        case Fault::extra: out.insert(out.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::byte{0x5a}); break;
        case Fault::close: out.resize(at); break;
        default: break;
      }
      if (setup.fault == Fault::close) {
        if (!out.empty()) co_await s.send_all(std::span<const std::byte>(out));
        co_return;  // the Stream closes here
      }
    }
    if (!co_await s.send_all(std::span<const std::byte>(out))) co_return;
  }
}

Task<> serve(Listener l, Setup setup) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    if (setup.fault >= Fault::http) spawn(http(std::move(*s), setup));
    else spawn(echo(std::move(*s), setup));
  }
}

Task<int> run(Setup setup) {
  auto l = Listener::bind("127.0.0.1:0");
  if (!l) co_return 1;
  std::printf("listening on %s\n", l->local_address().to_string().c_str());
  std::fflush(stdout);
  spawn(serve(std::move(*l), setup));
  co_await wait_for_signal(SIGINT, SIGTERM);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: faulty_echo none|flip|drop|extra|close|http|http-404|http-length OFFSET\n");
    return 2;
  }
  const std::string mode = argv[1];
  Setup setup;
  setup.offset = std::strtoull(argv[2], nullptr, 10);
  if (mode == "none") setup.fault = Fault::none;
  else if (mode == "flip") setup.fault = Fault::flip;
  else if (mode == "drop") setup.fault = Fault::drop;
  else if (mode == "extra") setup.fault = Fault::extra;
  else if (mode == "close") setup.fault = Fault::close;
  else if (mode == "http") setup.fault = Fault::http;
  else if (mode == "http-404") setup.fault = Fault::http_404;
  else if (mode == "http-length") setup.fault = Fault::http_length;
  else {
    std::fprintf(stderr, "faulty_echo: unknown mode %s\n", mode.c_str());
    return 2;
  }
  block_signals(SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  Runtime rt;
  return rt.block_on(run(setup));
}
