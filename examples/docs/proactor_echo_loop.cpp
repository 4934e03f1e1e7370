// docs/proactor-vs-reactor.md's echo loop, in a server that compiles (the doc follows one message through it).
#include <coring/coring.hpp>

using namespace coring;

Task<> echo(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();           // (1) suspend until bytes are there
    if (!chunk || chunk->empty()) co_return;
    if (!co_await s.send_all(*chunk)) co_return;  // (2) send them back
  }                                           // (3) the buffer returns to the pool
}

Task<> serve() {
  auto l = Listener::bind("127.0.0.1:7000", {.reuse_port = true});
  if (!l) co_return;
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;
    spawn(echo(std::move(*s)));
  }
}

int main() {
  Runtime rt;
  return rt.run_on_every_shard(serve);
}
