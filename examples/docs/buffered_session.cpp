// docs/api.md's example of BufferedReader and BufferedWriter: a line protocol with pipelined replies (compiled, quoted verbatim).
#include <coring/coring.hpp>

using namespace coring;

Task<> session(Stream s) {
  BufferedReader in(s);                                // lines: views into the receive buffers when they fit
  BufferedWriter out(s);                               // replies gathered in one bounded buffer
  for (;;) {
    auto line = co_await in.read_until("\r\n");        // valid until the next read
    if (!line || line->empty()) co_return;             // error, line too long, or the peer closed
    auto reply = line->starts_with("PING") ? "+PONG\r\n" : "-ERR unknown command\r\n";
    if (!co_await out.write(reply)) co_return;
    if (in.available() == 0 && !co_await out.flush()) co_return;  // one send per batch of pipelined requests
  }
}

Task<> serve() {
  auto l = Listener::bind("0.0.0.0:6380", {.reuse_port = true});
  if (!l) co_return;
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;
    spawn(session(std::move(*s)));
  }
}

int main() {
  Runtime rt;
  return rt.run_on_every_shard(serve);
}
