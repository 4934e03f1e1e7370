// docs/api.md's example of Datagram, a Unix-domain listener and a connect by name (compiled, quoted verbatim).
#include <array>
#include <coring/coring.hpp>

using namespace coring;
using namespace std::chrono_literals;

Task<> udp_echo() {
  auto d = Datagram::bind("0.0.0.0:7001", {.reuse_port = true});  // one socket per shard
  if (!d) co_return;
  std::array<std::byte, 2048> buf;
  for (;;) {
    auto got = co_await d->recv_from(buf);                 // into this buffer, with the sender's address
    if (!got) co_return;                                   // cancelled (a graceful stop) or closed
    auto echo = std::span(buf).first(got->size);
    (void)co_await d->send_to(echo, got->from);
  }
}

Task<> unix_hello() {
  auto l = Listener::bind("unix:/tmp/coring-hello.sock", {.remove_stale_unix_path = true});
  if (!l) co_return;                                       // removed again when the listener closes
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;
    (void)co_await s->send_all("hello over a Unix socket\n");
  }
}

Task<> ping_by_name() {
  auto s = co_await with_timeout(Stream::connect("localhost", 7000), 2s);  // getaddrinfo on the offload pool
  if (!s) co_return;
  (void)co_await s->send_all("ping\n");
}

Task<> serve() {
  spawn(ping_by_name());
  if (this_shard() == 0) spawn(unix_hello());             // one listener per path
  co_await udp_echo();
}

int main() {
  Runtime rt;
  return rt.run_on_every_shard(serve);
}
