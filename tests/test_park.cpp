// park(): a stream parked with no task wakes its handler when bytes arrive, when the peer closes, on its timeout and at the shard's stop; on both backends.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {

/// What the handlers saw, and what a woken stream's task received.
struct Seen {
  std::vector<Woken> why;
  std::vector<std::uint64_t> cookies;
  std::vector<std::uint64_t> turns;  // the loop turn each handler ran in
  std::string received;
  bool eof = false;
  bool inside_park = false;  // set while park() runs: a handler must never see it
  bool called_inside = false;
  int tasks_done = 0;
};

Task<> answer(Stream s, Seen* seen) {
  auto b = co_await s.recv();
  if (b && b->empty()) seen->eof = true;
  if (b && !b->empty()) {
    seen->received.append(b->view());
    (void)co_await s.send_all(std::string_view("pong"));
  }
  ++seen->tasks_done;
}

void on_wake(Parked p) {
  auto* seen = static_cast<Seen*>(p.context);
  seen->called_inside |= seen->inside_park;
  seen->why.push_back(p.why);
  seen->cookies.push_back(p.cookie);
  seen->turns.push_back(this_shard_stats().loop_turns);
  if (p.why == Woken::readable) spawn(answer(std::move(p.stream), seen));
}

void park_with(Stream s, Seen& seen, std::uint64_t cookie, Duration timeout = {}) {
  seen.inside_park = true;
  park(std::move(s), ParkOptions{&on_wake, &seen, cookie, timeout});
  seen.inside_park = false;
}

/// Connects `n` pairs through `l` and parks the server ends (cookie: their number, a 10 s
/// timeout); returns the client ends.
Task<std::vector<Stream>> park_many(Listener& l, Seen& seen, int n) {
  std::vector<Stream> clients;
  for (int i = 0; i < n; ++i) {
    auto [client, server] = co_await test::connected_pair(l);
    park_with(std::move(server), seen, static_cast<std::uint64_t>(i), 10s);
    clients.push_back(std::move(client));
  }
  co_return clients;
}

/// Each client's "pong", then what the handlers and tasks saw of `n` streams sent "x" each.
Task<> expect_pongs(std::vector<Stream>& clients, const Seen& seen) {
  for (auto& c : clients) {
    auto b = co_await c.recv();
    REQUIRE(b);
    CHECK(b->view() == "pong");
  }
  CHECK(seen.why.size() == clients.size());
  CHECK(seen.received == std::string(clients.size(), 'x'));
}

/// io_uring without the receive's byte limit (Linux < 6.16): single-shot receives, re-armed per buffer.
struct UringNoLimit {
  static constexpr Backend backend = Backend::uring;
  static constexpr const char* name = "uring without recv_byte_limit";
  static constexpr const char* uring_off = "recv_byte_limit";
};

}  // namespace

TEST_CASE_TEMPLATE("park: bytes that arrive later start a task with the stream", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [client, server] = co_await test::connected_pair(l);
    Seen seen;
    const std::size_t before = spawned_count();
    park_with(std::move(server), seen, 42);
    CHECK(spawned_count() == before);  // no task waits for it
    co_await test::nap(20ms);
    CHECK(seen.why.empty());
    REQUIRE(co_await client.send_all(std::string_view("ping")));
    std::string got;
    while (got.size() < 4) {
      auto b = co_await client.recv();
      REQUIRE(b);
      REQUIRE(!b->empty());
      got.append(b->view());
    }
    CHECK(got == "pong");
    REQUIRE(seen.why.size() == 1);
    CHECK(seen.why[0] == Woken::readable);
    CHECK(seen.cookies[0] == 42);
    CHECK(seen.received == "ping");
    CHECK(!seen.called_inside);
  });
}

TEST_CASE_TEMPLATE("park: bytes already there wake it on the next turn, never inside park()", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [client, server] = co_await test::connected_pair(l);
    REQUIRE(co_await client.send_all(std::string_view("early")));
    co_await test::nap(20ms);  // the bytes are in the server's socket (or its queue) before it parks
    Seen seen;
    park_with(std::move(server), seen, 1);
    CHECK(seen.why.empty());
    for (int i = 0; i < 100 && seen.tasks_done == 0; ++i) co_await test::nap(1ms);
    REQUIRE(seen.why.size() == 1);
    CHECK(seen.why[0] == Woken::readable);
    CHECK(seen.received == "early");
    CHECK(!seen.called_inside);
  });
}

TEST_CASE_TEMPLATE("park: the peer's close wakes it, and recv() then says EOF", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [client, server] = co_await test::connected_pair(l);
    Seen seen;
    park_with(std::move(server), seen, 0, 10s);
    client.close();
    for (int i = 0; i < 200 && seen.tasks_done == 0; ++i) co_await test::nap(1ms);
    REQUIRE(seen.why.size() == 1);
    CHECK(seen.why[0] == Woken::readable);
    CHECK(seen.eof);
  });
}

TEST_CASE_TEMPLATE("park: the timeout wakes it with timed_out - dropping the stream closes it", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [client, server] = co_await test::connected_pair(l);
    Seen seen;
    park_with(std::move(server), seen, 7, 30ms);
    co_await test::nap(10ms);
    CHECK(seen.why.empty());
    auto eof = co_await client.recv();  // the handler drops the stream: the client sees EOF
    REQUIRE(eof);
    CHECK(eof->empty());
    REQUIRE(seen.why.size() == 1);
    CHECK(seen.why[0] == Woken::timed_out);
    CHECK(seen.cookies[0] == 7);
  });
}

TEST_CASE_TEMPLATE("park: the end of block_on wakes parked streams with stopped", B, CORING_BACKENDS) {
  Seen seen;
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto [client, server] = co_await test::connected_pair(l);
    park_with(std::move(server), seen, 3, 10s);
    co_await test::nap(5ms);
    CHECK(seen.why.empty());
  });  // (the client closes as the root task ends; the stop wakes the parked stream before any I/O)
  REQUIRE(seen.why.size() == 1);
  CHECK(seen.why[0] == Woken::stopped);
}

TEST_CASE_TEMPLATE("park: many streams, each woken once by its own bytes", B, CORING_RUNGS, UringNoLimit) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Seen seen;
    std::vector<Stream> clients = co_await park_many(l, seen, 200);
    for (auto& c : clients) REQUIRE(co_await c.send_all(std::string_view("x")));
    co_await expect_pongs(clients, seen);
    CHECK(!seen.called_inside);
  });
}

TEST_CASE_TEMPLATE("park: a burst of wake-ups runs at most park_wakes_per_turn handlers a turn", B, CORING_BACKENDS) {
  RuntimeOptions opts;
  opts.park_wakes_per_turn = 4;
  test::run_on<B>(
      []() -> Task<> {
        Listener l = test::listen_local();
        constexpr int kStreams = 32;
        Seen seen;
        std::vector<Stream> clients = co_await park_many(l, seen, kStreams);
        (void)co_await sleep_for(20ms);  // every receive armed
        // All at once, with no turn of the loop in between: every stream is due together.
        for (auto& c : clients) REQUIRE(::send(c.native_handle(), "x", 1, MSG_NOSIGNAL) == 1);
        co_await expect_pongs(clients, seen);
        std::map<std::uint64_t, int> per_turn;
        for (auto t : seen.turns) ++per_turn[t];
        int most = 0;
        for (auto [turn, n] : per_turn) most = std::max(most, n);
        CHECK(most <= 4);
        CHECK(per_turn.size() >= kStreams / 4);
      },
      opts);
}
