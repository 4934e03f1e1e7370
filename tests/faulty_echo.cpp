// faulty_echo: an echo server that damages the stream on purpose (flip, drop, extra byte, early close) to test coring-load's checks.
//
// Usage: faulty_echo MODE OFFSET   (listens on 127.0.0.1, an ephemeral port,
// printed as "listening on 127.0.0.1:PORT"; stops on SIGINT/SIGTERM)
//   none   a correct echo server
//   flip   inverts the byte at stream offset OFFSET of every connection
//   drop   leaves out the byte at OFFSET
//   extra  sends one extra byte after the byte at OFFSET
//   close  closes the connection once OFFSET bytes have been echoed
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "coring/coring.hpp"

using namespace coring;

namespace {

enum class Fault { none, flip, drop, extra, close };

struct Setup {
  Fault fault = Fault::none;
  uint64_t offset = 0;
};

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
        case Fault::none: break;
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
    spawn(echo(std::move(*s), setup));
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
    std::fprintf(stderr, "usage: faulty_echo none|flip|drop|extra|close OFFSET\n");
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
  else {
    std::fprintf(stderr, "faulty_echo: unknown mode %s\n", mode.c_str());
    return 2;
  }
  block_signals(SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  Runtime rt;
  return rt.block_on(run(setup));
}
