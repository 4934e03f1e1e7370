// The receive budget: a connection whose task keeps every buffer is paused at its share while the shard's other connections go on.
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

namespace {

// Keeps every buffer it receives until recv() refuses; then waits for `release`,
// gives them all back and reads the rest of the stream.
Task<> holder(Runtime& rt, Stream& s, std::string& got, const bool& release, std::size_t& kept_max, bool& paused_seen) {
  std::vector<RecvBuffer> kept;
  for (;;) {
    auto b = co_await with_timeout(s.recv(), 3s);  // (without the budget: the pool runs dry, then this times out)
    if (!b) {
      CHECK(b.error() == std::errc::no_buffer_space);
      break;
    }
    REQUIRE(!b->empty());
    kept.push_back(std::move(*b));
  }
  kept_max = kept.size();
  paused_seen = rt.stats().connections_paused == 1;
  // Paused, not closed: a later recv() is refused again, without waiting.
  auto again = co_await with_timeout(s.recv(), 3s);
  CHECK(!again);
  while (!release) co_await nap(1ms);
  for (RecvBuffer& b : kept) got.append(b.view());
  kept.clear();  // the buffers go back: the connection is no longer at its share
  CHECK(co_await recv_to_eof(s, &got));
  CHECK(rt.stats().connections_paused == 0);
}

Task<> echo_server(Stream& s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return;
    if (!co_await s.send_all(*b)) co_return;
  }
}

// Round trips on another connection of the same shard while the holder holds its share.
Task<int> echo_client(Stream& s, int rounds) {
  int ok = 0;
  for (int i = 0; i < rounds; ++i) {
    const std::string msg = make_pattern(i, 64);
    if (!co_await s.send_all(bytes_of(msg))) break;
    std::string got;
    while (got.size() < msg.size()) {
      auto b = co_await with_timeout(s.recv(), 2s);
      if (!b || b->empty()) co_return ok;
      got.append(b->view());
    }
    ok += got == msg;
  }
  (void)s.shutdown();
  co_return ok;
}

}  // namespace

TEST_CASE_TEMPLATE("budget: a connection that keeps every buffer is paused at its share - another keeps echoing - it resumes on release",
                   B, CORING_BACKENDS) {
  RuntimeOptions o;
  o.buffer_count = 64;  // a small pool: without the budget one holder takes all of it
  o.buffers_per_connection = 8;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        Pair h = co_await connected_pair(l);
        Pair e = co_await connected_pair(l);
        const std::string big = make_pattern(1, 1 << 20);  // four times the pool
        std::string got;
        bool release = false, paused_seen = false;
        std::size_t kept_max = 0;
        auto feed = [](Stream& s, const std::string& d) -> Task<> {
          CHECK(co_await send_and_shutdown(s, d));
        };
        auto run_echo = [](Stream& srv, Stream& cli, bool& rel) -> Task<> {
          co_await nap(50ms);  // the holder is at its share by now
          auto [served, ok] = co_await when_all(echo_server(srv), echo_client(cli, 200));
          (void)served;
          CHECK(ok == 200);
          rel = true;
        };
        co_await when_all(holder(rt, h.server, got, release, kept_max, paused_seen), feed(h.client, big),
                          run_echo(e.server, e.client, release));
        CHECK(kept_max == 8);
        CHECK(paused_seen);
        CHECK(got == big);
        CHECK(rt.stats().recv_paused >= 2);
      },
      o);
}

TEST_CASE_TEMPLATE("budget: RecvBuffers kept after their Stream is gone still go back to the pool", B, CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    std::vector<RecvBuffer> kept;
    {
      Pair p = co_await connected_pair(l);
      CHECK(co_await send_and_shutdown(p.client, make_pattern(2, 10000)));
      for (;;) {
        auto b = co_await p.server.recv();
        REQUIRE(b);
        if (b->empty()) break;
        kept.push_back(std::move(*b));
      }
    }  // both Streams closed here; the buffers keep their connection's record alive
    CHECK(rt.stats().connections_open == 0);
    CHECK(rt.stats().buffers_in_use >= kept.size());
    std::string all;
    for (auto& b : kept) all.append(b.view());
    CHECK(all == make_pattern(2, 10000));
    kept.clear();
    CHECK(rt.stats().buffers_in_use == 0);
  });
}
