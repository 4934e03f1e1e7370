// consumer-echo: a minimal TCP echo server built against an installed coring (examples/consumer).
#include <coring/coring.hpp>

#include <csignal>
#include <cstdio>
#include <string>

using namespace coring;

namespace {

Task<> echo(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();
    if (!chunk || chunk->empty()) co_return;
    if (!co_await s.send_all(*chunk)) co_return;
  }
}

Task<> serve(Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    spawn(echo(std::move(*s)));
  }
}

Task<int> run(std::string addr) {
  auto l = Listener::bind(addr);
  if (!l) {
    std::fprintf(stderr, "consumer-echo: cannot listen on %s: %s\n", addr.c_str(), l.error().message().c_str());
    co_return 1;
  }
  // The first stdout line is the bound address, so a caller can use port 0.
  std::printf("%s\n", l->local_address().to_string().c_str());
  std::fflush(stdout);
  spawn(serve(std::move(*l)));
  co_await wait_for_signal(SIGINT, SIGTERM);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = argc > 1 ? argv[1] : "127.0.0.1:0";
  block_signals(SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr, "consumer-echo: coring %.*s\n", int(version().size()), version().data());
  Runtime rt;
  return rt.block_on(run(addr));
}
