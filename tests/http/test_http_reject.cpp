// The 503 path past max_connections on both backends: a client that already sent its request reads the whole 503, never a reset.
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view k503Head = "HTTP/1.1 503 Service Unavailable\r\n";
constexpr std::string_view k503Body = "503 Service Unavailable\n";

Router hello_router() {
  Router r;
  r.get("/", [](Request&) { return Response::text("Hello, World!"); });
  return r;
}

/// Connects, sends a whole request at once, then reads to EOF: what arrived, the error that ended
/// it (0: EOF), and the socket's pending error at EOF. On loopback a reset cannot overtake the 503
/// (which then still arrives whole, followed by EOF): the reset shows only as that pending error
/// (EPIPE or ECONNRESET). Over a real network the same reset can destroy the 503 before it is read.
struct Seen {
  std::string bytes;
  int error = 0;
  int pending = 0;
};
Task<Seen> request_then_read(SocketAddress addr, std::string request) {
  Seen out;
  auto c = co_await Stream::connect(addr);
  REQUIRE(c);
  auto sent = co_await c->send_all(std::string_view(request));
  if (!sent) {  // the server may have closed already: a failed send is fine, the read decides
    out.error = sent.error().value();
  }
  for (;;) {
    auto b = co_await with_timeout(c->recv(), 10s);
    if (!b) {
      out.error = b.error().value();
      co_return out;
    }
    if (b->empty()) {
      socklen_t len = sizeof out.pending;
      ::getsockopt(c->native_handle(), SOL_SOCKET, SO_ERROR, &out.pending, &len);
      co_return out;
    }
    out.bytes.append(b->view());
  }
}

}  // namespace

TEST_CASE_TEMPLATE("http: a rejected client that sent its request reads the whole 503, never a reset (200 times)", B,
                   CORING_BACKENDS) {
  ServerOptions o;
  o.max_connections = 1;
  coring::test::run_on<B>([&]() -> Task<> {
    Server server(hello_router(), o);
    SocketAddress addr = start(server);
    Client first = co_await Client::connect(addr);  // holds the only place
    auto r = co_await first.roundtrip(get("/"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    int resets = 0, wrong = 0;
    // A request with a body (under the 16 KiB a rejected connection reads before it closes).
    const std::string req = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\n" + std::string(4000, 'b');
    for (int i = 0; i < 200; ++i) {
      std::string one = i % 2 ? get("/") : req;  // not a temporary in the co_await: GCC 12 destroys that twice
      Seen s = co_await request_then_read(addr, std::move(one));
      CAPTURE(i);
      CAPTURE(s.error);
      CAPTURE(s.pending);
      resets += s.error != 0 || s.pending != 0;
      const bool whole = s.bytes.starts_with(k503Head) && s.bytes.ends_with(k503Body);
      wrong += !whole;
    }
    CHECK(resets == 0);
    CHECK(wrong == 0);
    CHECK(server.stats().connections_rejected == 200);
    auto again = co_await first.roundtrip(get("/"));  // the admitted one was never disturbed
    REQUIRE(again);
    CHECK(again->status == 200);
  });
}

TEST_CASE_TEMPLATE("http: a rejected client that keeps sending is closed after the linger time", B, CORING_BACKENDS) {
  ServerOptions o;
  o.max_connections = 1;
  o.linger_timeout = 200ms;
  coring::test::run_on<B>([&]() -> Task<> {
    Server server(hello_router(), o);
    SocketAddress addr = start(server);
    Client first = co_await Client::connect(addr);
    auto r = co_await first.roundtrip(get("/"));
    REQUIRE(r);
    auto c = co_await Stream::connect(addr);
    REQUIRE(c);
    // Read the 503, then trickle bytes: the server must not read them for ever.
    std::string got;
    while (!got.ends_with(k503Body)) {
      auto b = co_await with_timeout(c->recv(), 10s);
      REQUIRE(b);
      REQUIRE(!b->empty());
      got.append(b->view());
    }
    CHECK(got.starts_with(k503Head));
    const auto t0 = std::chrono::steady_clock::now();
    bool ended = false;
    while (std::chrono::steady_clock::now() - t0 < 5s) {
      auto s = co_await c->send_all(std::string_view("x"));
      if (!s) {
        ended = true;
        break;
      }
      co_await sleep_for(10ms);
    }
    CHECK(ended);  // the server closed (its reset ends our sends)
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  });
}

TEST_CASE_TEMPLATE("http: past max_lingering_rejects a rejected connection is closed at once", B, CORING_BACKENDS) {
  ServerOptions o;
  o.max_connections = 1;
  o.max_lingering_rejects = 2;
  o.linger_timeout = 3s;  // capped at 1 s for rejects: the first two still linger while this runs
  coring::test::run_on<B>([&]() -> Task<> {
    Server server(hello_router(), o);
    SocketAddress addr = start(server);
    Client first = co_await Client::connect(addr);
    auto r = co_await first.roundtrip(get("/"));
    REQUIRE(r);
    std::vector<Stream> rejected;
    for (int i = 0; i < 5; ++i) {
      auto c = co_await Stream::connect(addr);
      REQUIRE(c);
      std::string got;
      for (;;) {  // the 503, then EOF: every one of them gets it
        auto b = co_await with_timeout(c->recv(), 10s);
        REQUIRE(b);
        if (b->empty()) break;
        got.append(b->view());
      }
      CHECK(got.starts_with(k503Head));
      rejected.push_back(std::move(*c));
    }
    // A byte sent now is read by a lingering server socket, and reset by a closed one.
    for (Stream& c : rejected) (void)co_await c.send_all(std::string_view("x"));
    co_await sleep_for(50ms);
    std::vector<int> pending;
    for (Stream& c : rejected) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
      pending.push_back(err);
    }
    CHECK(pending == std::vector<int>{0, 0, EPIPE, EPIPE, EPIPE});
    CHECK(server.stats().connections_rejected == 5);
  });
}
