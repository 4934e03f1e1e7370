// README.md's example: an echo server on every shard, with a 30 s idle timeout (compiled, quoted verbatim by the README).
#include <coring/coring.hpp>

using namespace coring;
using namespace std::chrono_literals;

Task<> echo(Stream s) {
  for (;;) {
    // Bytes lent from the shard's buffer pool; 30 s of silence closes the connection.
    auto chunk = co_await with_timeout(s.recv(), 30s);
    if (!chunk || chunk->empty()) co_return;        // timed_out, error, or EOF
    if (!co_await s.send_all(*chunk)) co_return;    // one send in flight per socket
  }                                                 // the buffer goes back to the pool here
}

Task<> serve() {                                    // runs on every shard
  auto l = Listener::bind("0.0.0.0:7000", {.reuse_port = true});  // the kernel spreads connections
  if (!l) co_return;
  for (;;) {
    auto s = co_await l->accept();                  // EMFILE etc. never surface: accept backs off
    if (!s) co_return;                              // the listener closed: graceful stop
    spawn(echo(std::move(*s)));
  }
}

int main() {
  Runtime rt;                                       // one shard per CPU; io_uring, or epoll with a logged reason
  return rt.run_on_every_shard(serve);              // until SIGINT/SIGTERM, then a graceful stop
}
