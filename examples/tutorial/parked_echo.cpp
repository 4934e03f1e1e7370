// Tutorial step 1b: the echo server of step 1, but an idle connection keeps no coroutine frame: it is parked until its next bytes.
// [parked]
#include <coring/coring.hpp>

#include <cstdio>
#include <cstdlib>

using namespace coring;
using namespace std::chrono_literals;

void on_wake(Parked p);

// Echoes what has arrived, then parks the stream again instead of waiting in recv().
Task<> echo_burst(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();           // what woke us is already there
    if (!chunk || chunk->empty()) co_return;  // an error, or the peer closed (EOF)
    if (!co_await s.send_all(*chunk)) co_return;
    if (!s.recv().await_ready()) break;       // nothing more queued: go idle
  }
  park(std::move(s), {.on_wake = on_wake, .timeout = 60s});  // this frame ends; the stream waits
}

// Runs on the shard's loop when a parked stream wakes: start a task for it, or let it close.
void on_wake(Parked p) {
  if (p.why == Woken::readable) spawn(echo_burst(std::move(p.stream)));
  // timed_out or stopped: p.stream is dropped here, which closes the connection
}

Task<> serve(uint16_t port) {
  auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, port), {.reuse_port = true});
  if (!l) {
    std::fprintf(stderr, "shard %u: cannot listen: %s\n", this_shard(), l.error().message().c_str());
    co_return;
  }
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;  // the listener closed: the server is stopping
    park(std::move(*s), {.on_wake = on_wake, .timeout = 60s});  // no frame until the first bytes
  }
}
// [/parked]

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
  Runtime rt;  // one shard per CPU
  return rt.run_on_every_shard([port] { return serve(port); });
}
