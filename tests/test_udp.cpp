// UDP: Datagram send_to / recv_from round trips, connect, truncation, cancellation and close, on both backends.
#include <array>
#include <cstring>
#include <string>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {

Datagram local_udp() {
  auto d = Datagram::bind("127.0.0.1:0");
  REQUIRE(d);
  return std::move(*d);
}
std::string text(std::span<const std::byte> b, std::size_t n) { return {reinterpret_cast<const char*>(b.data()), n}; }

// Receives one datagram into a fresh buffer: its text and source, or the error.
struct Got {
  std::string text;
  std::string from;
  bool truncated = false;
  std::error_code error;
};
Task<Got> receive(Datagram& d, std::size_t room = 2048) {
  std::vector<std::byte> buf(room);
  auto r = co_await d.recv_from(buf);
  Got g;
  if (!r) {
    g.error = r.error();
    co_return g;
  }
  g.text = text(buf, r->size);
  g.from = r->from.to_string();
  g.truncated = r->truncated;
  co_return g;
}
Task<> send_later(Datagram* d, std::string msg, SocketAddress to, Duration after) {
  co_await test::nap(after);
  auto r = co_await d->send_to(msg, to);
  CHECK(r);
}

}  // namespace

TEST_CASE_TEMPLATE("udp: send_to and recv_from round trip, with the source address", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Datagram a = local_udp(), b = local_udp();
    const SocketAddress a_addr = a.local_address(), b_addr = b.local_address();
    CHECK(b_addr.port() != 0);
    // The receiver waits first (the kernel, or readiness, completes it later).
    spawn(send_later(&a, "hello", b_addr, 5ms));
    Got g = co_await receive(b);
    CHECK_FALSE(g.error);
    CHECK(g.text == "hello");
    CHECK(g.from == a_addr.to_string());
    // The answer goes back to the source; here the datagram is already queued.
    auto sent = co_await b.send_to("world!", *SocketAddress::parse(g.from));
    REQUIRE(sent);
    CHECK(*sent == 6);
    co_await test::nap(2ms);
    Got back = co_await receive(a);
    CHECK(back.text == "world!");
    CHECK(back.from == b_addr.to_string());
    // Many, in order on loopback, boundaries kept.
    for (int i = 0; i < 64; ++i) REQUIRE(co_await a.send_to("msg " + std::to_string(i), b_addr));
    for (int i = 0; i < 64; ++i) {
      Got m = co_await receive(b);
      CHECK(m.text == "msg " + std::to_string(i));
    }
  });
}

TEST_CASE_TEMPLATE("udp: connect, send, truncation, and an empty datagram", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Datagram a = local_udp(), b = local_udp();
    REQUIRE(a.connect(b.local_address()));
    REQUIRE(co_await a.send("connected"));
    Got g = co_await receive(b);
    CHECK(g.text == "connected");
    REQUIRE(co_await a.send(std::string(100, 'x')));
    Got small = co_await receive(b, 10);
    CHECK(small.text == std::string(10, 'x'));
    CHECK(small.truncated);
    REQUIRE(co_await a.send(""));
    Got empty = co_await receive(b);
    CHECK_FALSE(empty.error);
    CHECK(empty.text.empty());
    // Nobody listens at a closed port: the ICMP error comes back on the connected socket.
    Datagram gone = local_udp();
    const SocketAddress gone_addr = gone.local_address();
    gone.close();
    co_await test::nap(20ms);  // io_uring closes the socket with its next submission
    Datagram c = local_udp();
    REQUIRE(c.connect(gone_addr));
    REQUIRE(co_await c.send("anyone?"));
    auto r = co_await with_timeout(receive(c), 2s);
    REQUIRE(r);
    CHECK(r->error == errc::connection_refused);
  });
}

TEST_CASE_TEMPLATE("udp: a pending recv_from is cancelled by a timeout, a CancelSource or close", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Datagram a = local_udp(), b = local_udp();
    std::array<std::byte, 64> buf{};
    auto t = co_await with_timeout(b.recv_from(buf), 20ms);
    REQUIRE_FALSE(t);
    CHECK(t.error() == errc::timed_out);
    // The socket still works afterwards, and nothing was lost.
    REQUIRE(co_await a.send_to("after", b.local_address()));
    Got g = co_await receive(b);
    CHECK(g.text == "after");

    CancelSource src;
    auto cancel_soon = [](CancelSource* s) -> Task<> {
      co_await test::nap(10ms);
      s->cancel();
    };
    spawn(cancel_soon(&src));
    auto c = co_await with_cancel(b.recv_from(buf), src);
    REQUIRE_FALSE(c);
    CHECK(c.error() == errc::operation_canceled);

    // One receive at a time; close() fails the waiting one.
    auto close_soon = [](Datagram* d) -> Task<> {
      co_await test::nap(10ms);
      d->close();
    };
    auto waiting = [](Datagram* d, Got* out) -> Task<> { *out = co_await receive(*d); };
    Got first, second;
    spawn(waiting(&b, &first));
    co_await test::nap(2ms);
    second = co_await receive(b);
    CHECK(second.error == errc::device_or_resource_busy);
    spawn(close_soon(&b));
    co_await test::nap(40ms);
    CHECK(first.error == errc::operation_canceled);
    CHECK_FALSE(b.is_open());
    auto closed = co_await b.send_to("x", a.local_address());
    REQUIRE_FALSE(closed);
    CHECK(closed.error() == errc::bad_file_descriptor);
  });
}

TEST_CASE_TEMPLATE("udp: the runtime stops with a recv_from pending", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    // The task owns its Datagram: destroying the task (at the stop) closes it
    // while its shard still runs. (A Datagram kept past its runtime, such as
    // a static one, would be closed on a loop that is gone.)
    auto wait_forever = [](Datagram d) -> Task<> { (void)co_await receive(d); };
    spawn(wait_forever(local_udp()));
    co_await test::nap(5ms);
  });  // the stop cancels and destroys the waiting task; ASan checks nothing leaks or dangles
}
