// Tutorial step 1: an echo server on every shard, stopped gracefully by Ctrl-C.
// [step1]
#include <coring/coring.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace coring;

// One connection: send back whatever arrives, until the peer closes.
Task<> echo(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();           // a buffer lent from the shard's pool
    if (!chunk || chunk->empty()) co_return;  // an error, or the peer closed (EOF)
    if (!co_await s.send_all(*chunk)) co_return;
  }                                           // the buffer goes back to the pool here
}

// One listener per shard on the same port: the kernel spreads connections.
Task<> serve(uint16_t port) {
  auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, port), {.reuse_port = true});
  if (!l) {
    std::fprintf(stderr, "shard %u: cannot listen: %s\n", this_shard(), l.error().message().c_str());
    co_return;
  }
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;  // the listener closed: the server is stopping
    spawn(echo(std::move(*s)));
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
  Runtime rt;  // one shard per CPU
  return rt.run_on_every_shard([port] { return serve(port); });
}
// [/step1]
