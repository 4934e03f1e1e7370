// Thread-per-core: cross-shard calls, mailbox backpressure, offload, graceful shutdown, per-shard statistics.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {

RuntimeOptions shards(unsigned n) {
  RuntimeOptions o;
  o.shards = n;
  return o;
}

Task<> spin_until(const std::atomic<bool>& flag) {
  while (!flag.load()) co_await sleep_for(1ms);
}

// ---- helpers for the backpressure cases (coroutines take what they use as arguments) ----
Task<> block_shard(unsigned shard, std::atomic<bool>* in, std::atomic<bool>* release) {
  co_await submit_to(shard, [in, release] {
    in->store(true);
    while (!release->load()) std::this_thread::yield();  // holds the shard's thread: its mailbox fills
  });
}
Task<> square_on(unsigned shard, int i, std::vector<int>* out, int* done) {
  (*out)[i] = co_await submit_to(shard, [i] { return i * i; });
  ++*done;
}
Task<> block_offload(std::atomic<bool>* in, std::atomic<bool>* release) {
  co_await offload([in, release] {
    in->store(true);
    while (!release->load()) std::this_thread::yield();
  });
}
Task<> offload_square(int i, std::vector<int>* out, int* done) {
  (*out)[i] = co_await offload([i] { return i * i; });
  ++*done;
}

// ---- a small server per shard for the shutdown and distribution cases ----
struct ServerLog {
  std::atomic<int> requests{0};
  std::atomic<int> handlers{0};
};

// Each request is answered twice over after a pause (work in progress); the
// wait for the next request is the idle part that a graceful stop cancels.
Task<> slow_echo(Stream s, ServerLog* log) {
  log->handlers.fetch_add(1);
  for (;;) {
    auto b = co_await cancel_on_stop(s.recv());
    if (!b || b->empty()) break;
    std::string req(b->view());
    log->requests.fetch_add(1);
    co_await sleep_for(30ms);
    if (!co_await s.send_all(req + req)) break;
    if (stop_requested()) break;
  }
}

Task<> serve(Listener l, ServerLog* log) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;  // closed by the graceful stop
    spawn(slow_echo(std::move(*s), log));
  }
}

/// Listens on `port` (0: pick one) with SO_REUSEPORT on the calling shard; returns the port.
uint16_t start_server(uint16_t port, ServerLog* log) {
  auto addr = SocketAddress::ipv4(0x7f000001, port);
  auto l = Listener::bind(addr, {.reuse_port = true});
  REQUIRE(l);
  uint16_t p = l->local_address().port();
  spawn(serve(std::move(*l), log));
  return p;
}

Task<uint16_t> start_on_all_shards(ServerLog* log) {
  uint16_t port = start_server(0, log);
  for (unsigned i = 1; i < shard_count(); ++i) co_await submit_to(i, [port, log] { start_server(port, log); });
  co_return port;
}

struct ClientResult {
  int answered = 0;    // full answers received
  int closed_after = 0;  // EOF seen after the answer
};

Task<> one_request(uint16_t port, int id, ClientResult* out) {
  auto c = co_await Stream::connect(SocketAddress::ipv4(0x7f000001, port));
  if (!c) co_return;
  std::string req = "request-" + std::to_string(id);
  if (!co_await c->send_all(req)) co_return;
  std::string got;
  while (got.size() < 2 * req.size()) {
    auto b = co_await c->recv();
    if (!b || b->empty()) co_return;
    got.append(b->view());
  }
  if (got == req + req) ++out->answered;
  auto b = co_await c->recv();
  if (b && b->empty()) ++out->closed_after;
}

Task<> idle_client(uint16_t port, int* closed) {
  auto c = co_await Stream::connect(SocketAddress::ipv4(0x7f000001, port));
  if (!c) co_return;
  auto b = co_await c->recv();
  if (b && b->empty()) ++*closed;
}

}  // namespace

TEST_CASE_TEMPLATE("submit_to runs on the target shard and brings the result back", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CHECK(this_shard() == 0);
    REQUIRE(shard_count() == 3);
    CHECK(co_await submit_to(1, [] { return int(this_shard()) * 10; }) == 10);
    auto s = co_await submit_to(2, []() -> Task<std::string> {
      co_await sleep_for(1ms);  // a coroutine body suspends on the target's own loop
      co_return "shard" + std::to_string(this_shard());
    });
    CHECK(s == "shard2");
    bool ran = false;
    co_await submit_to(1, [p = &ran] { *p = true; });
    CHECK(ran);
    CHECK(co_await submit_to(0, [] { return this_shard(); }) == 0u);  // own shard: runs inline
    auto all = co_await on_all_shards([](unsigned i) { return i * 2 + this_shard(); });
    CHECK(all == std::vector<unsigned>{0, 3, 6});
    CHECK(this_shard() == 0);  // resumed on the caller's shard
  }, shards(3));
}

TEST_CASE_TEMPLATE("cross-shard calls: exceptions and errors travel back", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    bool caught = false;
    try {
      co_await submit_to(1, []() -> int { throw std::runtime_error("boom on shard 1"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom on shard 1";
    }
    CHECK(caught);
    caught = false;
    try {
      co_await submit_to(1, []() -> Task<> {
        co_await sleep_for(1ms);
        throw std::logic_error("from a task");
      });
    } catch (const std::logic_error&) {
      caught = true;
    }
    CHECK(caught);
    Result<int> r = co_await submit_to(1, []() -> Result<int> { return errc::permission_denied; });
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::permission_denied);
    Result<int> seven = co_await submit_to(1, []() -> Result<int> { return 7; });
    CHECK((seven && *seven == 7));
  }, shards(2));
}

TEST_CASE_TEMPLATE("a cross-shard call is cancelled with its caller: with_timeout cancels the remote body", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    static std::atomic<int> body_saw{0};  // 1: the sleep was cancelled, 2: it completed
    body_saw = 0;
    auto r = co_await with_timeout(submit_to(1, []() -> Task<Result<void>> {
                                     auto s = co_await sleep_for(60s);  // cancelled on shard 1
                                     body_saw = s ? 2 : 1;
                                     co_return s;
                                   }),
                                   20ms);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timed_out);
    while (body_saw.load() == 0) co_await sleep_for(1ms);  // the caller does not wait for the body
    CHECK(body_saw.load() == 1);  // the cancel message reached the body: its sleep was cancelled
  }, shards(2));
}

// ---- abandoned cross-shard calls: the caller gives up while the target is busy ----
namespace {
using Clock = std::chrono::steady_clock;
std::atomic<int> payloads_alive{0};
struct Payload {  // a result that counts its instances, so a dropped one shows up as a leak or a double free
  std::string text;
  explicit Payload(std::string t) : text(std::move(t)) { ++payloads_alive; }
  Payload(Payload&& o) noexcept : text(std::move(o.text)) { ++payloads_alive; }
  ~Payload() { --payloads_alive; }
};
void busy_for(Duration d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) std::this_thread::yield();
}
Task<> keep_busy(unsigned shard, Duration d, std::atomic<bool>* in, std::atomic<bool>* out) {
  co_await submit_to(shard, [d, in, out] {
    in->store(true);
    busy_for(d);
    out->store(true);
  });
}
int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}
}  // namespace

TEST_CASE_TEMPLATE("an abandoned cross-shard call: with_timeout returns while the target is busy, fn never runs",
                   B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    std::atomic<bool> in{false}, out{false};
    static std::atomic<int> ran{0};
    ran = 0;
    spawn(keep_busy(1, 1s, &in, &out));
    co_await spin_until(in);
    // Queued behind the busy function: each caller gives up long before shard 1 reads its mail.
    auto t0 = Clock::now();
    Result<int> a = co_await with_timeout(submit_to(1, []() -> Result<int> { return ++ran; }), 100ms);
    CHECK(ms_since(t0) < 600);
    REQUIRE_FALSE(a);
    CHECK(a.error() == errc::timed_out);
    t0 = Clock::now();
    Result<int> b = co_await with_timeout(submit_to(1, [] { return ++ran; }), 50ms);  // a plain int: thrown, mapped
    CHECK(ms_since(t0) < 600);
    REQUIRE_FALSE(b);
    CHECK(b.error() == errc::timed_out);
    Result<void> c = co_await with_timeout(submit_to(1, [] { ++ran; }), 50ms);
    REQUIRE_FALSE(c);
    CHECK(c.error() == errc::timed_out);
    Result<Payload> d = co_await with_timeout(submit_to(1, []() -> Task<Payload> {
                                                ++ran;
                                                co_return Payload("never");
                                              }),
                                              50ms);
    REQUIRE_FALSE(d);
    CHECK(d.error() == errc::timed_out);
    CHECK_FALSE(out.load());  // all of that while shard 1 was still busy
    co_await spin_until(out);
    // Shard 1 reads the abandoned requests now: none of them runs fn, and calls work again.
    CHECK(co_await submit_to(1, [] { return 7; }) == 7);
    CHECK(ran.load() == 0);
    CHECK(payloads_alive.load() == 0);
  }, shards(2));
}

TEST_CASE_TEMPLATE("a cross-shard call: a plain function already running is waited for", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    static std::atomic<bool> finished{false};
    finished = false;
    payloads_alive = 0;
    int local = 0;  // captured by reference: safe, since a started plain function is waited for
    auto t0 = Clock::now();
    auto r = co_await with_timeout(submit_to(1, [&local] {
                                     busy_for(300ms);  // the function itself holds shard 1
                                     local = 1;
                                     finished = true;
                                     return Payload(std::string(1000, 'x'));
                                   }),
                                   50ms);
    CHECK(ms_since(t0) >= 250);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timed_out);  // the deadline passed: its result is not used
    CHECK(finished.load());
    CHECK(local == 1);
    CHECK(payloads_alive.load() == 0);
  }, shards(2));
}

TEST_CASE_TEMPLATE("an abandoned cross-shard call: a running Task body is left behind, its result dropped later", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    static std::atomic<bool> started{false}, finished{false};
    started = finished = false;
    payloads_alive = 0;
    auto t0 = Clock::now();
    auto r = co_await with_timeout(submit_to(1, []() -> Task<Payload> {
                                     started = true;
                                     // offload cannot be cancelled: the body outlives its caller.
                                     co_await offload([] { busy_for(600ms); });
                                     finished = true;
                                     co_return Payload(std::string(1000, 'x'));  // heap memory, freed on shard 0
                                   }),
                                   100ms);
    CHECK(ms_since(t0) < 450);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timed_out);
    CHECK(started.load());
    CHECK_FALSE(finished.load());
    co_await spin_until(finished);
    // The reply arrives, finds nobody waiting and frees the state and the Payload.
    CHECK(co_await submit_to(1, [] { return 1; }) == 1);
    co_await sleep_for(5ms);
    CHECK(payloads_alive.load() == 0);
  }, shards(2));
}

TEST_CASE_TEMPLATE("an abandoned cross-shard call: with_cancel gives operation_canceled, a plain T throws", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    std::atomic<bool> in{false}, out{false};
    spawn(keep_busy(1, 500ms, &in, &out));
    co_await spin_until(in);
    CancelSource src;
    auto canceller = [](CancelSource* s) -> Task<> {
      co_await sleep_for(20ms);
      s->cancel();
    };
    spawn(canceller(&src));
    auto t0 = Clock::now();
    Result<int> r = co_await with_cancel(submit_to(1, []() -> Result<int> { return 1; }), src);
    CHECK(ms_since(t0) < 400);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::operation_canceled);
    // The source stays cancelled: a new call under it fails before it is sent.
    bool threw = false;
    try {
      (void)co_await with_cancel(submit_to(1, [] { return 2; }), src);
    } catch (const std::system_error& e) {
      threw = e.code() == errc::operation_canceled;
    }
    CHECK(threw);
    CHECK_FALSE(out.load());
    co_await spin_until(out);
  }, shards(2));
}

TEST_CASE_TEMPLATE("an abandoned cross-shard call: the runtime stops with its body still running", B, CORING_BACKENDS) {
  // Shard 1 is busy while block_on ends: the abandoned requests and the cancel message are
  // still queued when the stop sequence begins, and it must release them (ASan checks leaks).
  test::run_on<B>([]() -> Task<> {
    static std::atomic<bool> in, out;  // the busy function outlives this frame's task
    in = out = false;
    spawn(keep_busy(1, 300ms, &in, &out));
    co_await spin_until(in);
    auto r = co_await with_timeout(submit_to(1, []() -> Task<Result<void>> { co_return co_await sleep_for(60s); }),
                                   10ms);
    CHECK_FALSE(r);
    auto q = co_await with_timeout(submit_to(1, [] { return Payload("queued"); }), 10ms);
    CHECK_FALSE(q);
  }, shards(2));  // the stop sequence finds the messages queued (or the body running): no leak under ASan
  CHECK(payloads_alive.load() == 0);
}

TEST_CASE_TEMPLATE("a full mailbox makes the sender wait, and every call still completes", B, CORING_BACKENDS) {
  RuntimeOptions o = shards(2);
  o.mailbox_capacity = 4;
  test::run_on<B>([]() -> Task<> {
    std::atomic<bool> in{false}, release{false};
    spawn(block_shard(1, &in, &release));
    co_await spin_until(in);
    // Shard 1 is busy: 4 calls fit in its mailbox, 16 wait on this shard.
    constexpr int kCalls = 20;
    std::vector<int> out(kCalls, -1);
    int done = 0;
    for (int i = 0; i < kCalls; ++i) spawn(square_on(1, i, &out, &done));
    co_await sleep_for(2ms);
    RuntimeStats st = this_shard_stats();
    CHECK(st.mailbox_full_waits == kCalls - 4);
    CHECK(st.parked_calls == kCalls - 4);
    release.store(true);
    while (done < kCalls) co_await sleep_for(1ms);
    for (int i = 0; i < kCalls; ++i) CHECK(out[i] == i * i);
    CHECK(this_shard_stats().parked_calls == 0);
    auto all = co_await all_shard_stats();
    CHECK(all[1].mailbox_depth == 0);
    CHECK(all[1].mail_received == kCalls + 1 + 1);  // the blocker, the calls, and this snapshot
  }, o);
}

TEST_CASE_TEMPLATE("offload runs on a pool thread and resumes on the caller's shard", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    const auto shard_thread = std::this_thread::get_id();
    auto [tid, v] = co_await offload([] { return std::pair{std::this_thread::get_id(), 42}; });
    CHECK(tid != shard_thread);
    CHECK(v == 42);
    CHECK(std::this_thread::get_id() == shard_thread);
    bool caught = false;
    try {
      co_await offload([]() -> int { throw std::runtime_error("offloaded"); });
    } catch (const std::runtime_error&) {
      caught = true;
    }
    CHECK(caught);
    // From another shard too.
    CHECK(co_await submit_to(1, []() -> Task<int> { co_return co_await offload([] { return 5; }) + int(this_shard()); }) == 6);
  }, shards(2));
}

TEST_CASE_TEMPLATE("a full offload queue makes the caller wait", B, CORING_BACKENDS) {
  RuntimeOptions o = shards(1);
  o.offload_threads = 1;
  o.offload_queue = 2;
  test::run_on<B>([]() -> Task<> {
    std::atomic<bool> in{false}, release{false};
    spawn(block_offload(&in, &release));
    co_await spin_until(in);  // the only worker is busy
    constexpr int kCalls = 5;
    std::vector<int> out(kCalls, -1);
    int done = 0;
    for (int i = 0; i < kCalls; ++i) spawn(offload_square(i, &out, &done));
    co_await sleep_for(2ms);
    CHECK(this_shard_stats().offload_waits == kCalls - 2);  // 2 queued, 3 waiting here
    CHECK(this_shard_stats().parked_calls == kCalls - 2);
    release.store(true);
    while (done < kCalls) co_await sleep_for(1ms);
    for (int i = 0; i < kCalls; ++i) CHECK(out[i] == i * i);
  }, o);
}

TEST_CASE_TEMPLATE("SO_REUSEPORT spreads connections over the shards and the snapshot shows it", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    ServerLog log;
    uint16_t port = co_await start_on_all_shards(&log);
    constexpr int kClients = 100;
    auto answered = [](uint16_t p, int id) -> Task<bool> {
      auto c = co_await Stream::connect(SocketAddress::ipv4(0x7f000001, p));
      if (!c) co_return false;
      std::string req = "r" + std::to_string(id);
      if (!co_await c->send_all(req)) co_return false;
      std::string got;
      while (got.size() < 2 * req.size()) {
        auto b = co_await c->recv();
        if (!b || b->empty()) co_return false;
        got.append(b->view());
      }
      co_return got == req + req;
    };
    std::vector<Task<bool>> checks;
    for (int i = 0; i < kClients; ++i) checks.push_back(answered(port, i));
    auto ok = co_await when_all(std::move(checks));
    CHECK(std::count(ok.begin(), ok.end(), true) == kClients);
    auto per_shard = co_await all_shard_stats();
    REQUIRE(per_shard.size() == 2);
    CHECK(per_shard[0].connections_accepted > 0);
    CHECK(per_shard[1].connections_accepted > 0);
    CHECK(total(per_shard).connections_accepted == kClients);
  }, shards(2));
}

TEST_CASE_TEMPLATE("graceful shutdown: accepting stops, in-flight requests get full answers, idle ones close", B,
                   CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    ServerLog log;
    uint16_t port = co_await start_on_all_shards(&log);
    constexpr int kBusy = 40, kIdle = 10;
    ClientResult res;
    int idle_closed = 0;
    for (int i = 0; i < kBusy; ++i) spawn(one_request(port, i, &res));
    for (int i = 0; i < kIdle; ++i) spawn(idle_client(port, &idle_closed));
    // Every request has been read by its handler, none answered yet (each takes 30 ms).
    while (log.requests.load() < kBusy || log.handlers.load() < kBusy + kIdle) co_await sleep_for(1ms);
    co_await rt.shutdown(std::chrono::seconds(30));
    CHECK(res.answered == kBusy);        // nothing accepted was lost
    CHECK(res.closed_after == kBusy);    // then the server closed them
    CHECK(idle_closed == kIdle);         // idle connections closed at once
    auto left = co_await on_all_shards([](unsigned) { return spawned_count(); });
    CHECK(left == std::vector<std::size_t>{0, 0});  // every task ended by itself, before the grace period
    auto late = co_await Stream::connect(SocketAddress::ipv4(0x7f000001, port));
    REQUIRE_FALSE(late);  // no shard listens any more
    CHECK(late.error() == errc::connection_refused);
  }, shards(2));
}

namespace {
/// What the ping loops of the next case did: calls answered towards each shard, loops that ended.
struct PingLog {
  std::atomic<int> answered[2]{};  // index: the shard called
  std::atomic<int> wrong{0};       // answers with a value other than 1
  std::atomic<int> ended{0};       // loops that returned or were destroyed
};
Task<> ping(unsigned to, PingLog* log) {
  struct End {
    PingLog* log;
    ~End() { log->ended.fetch_add(1); }
  } end{log};
  for (;;) {
    const int v = co_await submit_to(to, []() -> Task<int> {
      co_await sleep_for(100us);
      co_return 1;
    });
    (v == 1 ? log->answered[to] : log->wrong).fetch_add(1);
    if (!co_await sleep_for(10us)) co_return;  // cancelled: the runtime is stopping
  }
}
}  // namespace

TEST_CASE_TEMPLATE("stopping with cross-shard calls in flight in both directions is clean", B, CORING_BACKENDS) {
  RuntimeOptions o = shards(2);
  o.drain_timeout = 200ms;
  PingLog log;
  const bool ran = test::run_on<B>([&log]() -> Task<> {
    spawn(ping(1, &log));
    PingLog* l = &log;
    co_await submit_to(1, [l] { spawn(ping(0, l)); });
    // Both directions busy before the stop begins.
    while (log.answered[0].load() < 3 || log.answered[1].load() < 3) co_await sleep_for(1ms);
  }, o);  // returns: cancel, drain, destroy on both shards with calls crossing
  if (!ran) return;
  CHECK(log.answered[0].load() >= 3);  // shard 1 called shard 0
  CHECK(log.answered[1].load() >= 3);  // shard 0 called shard 1
  CHECK(log.wrong.load() == 0);        // no call completed with another's result or a torn one
  CHECK(log.ended.load() == 2);        // both loops ended (cancelled) or were destroyed: nothing leaked
}

TEST_CASE_TEMPLATE("a multi-shard runtime runs block_on many times", B, CORING_BACKENDS) {
  RuntimeOptions o = shards(2);
  o.backend = B::backend;
  Runtime rt(o);
  if (rt.backend() != B::backend) return;
  for (int i = 0; i < 50; ++i) {
    int v = rt.block_on([](int k) -> Task<int> { co_return co_await submit_to(1, [k] { return k + 1; }); }(i));
    CHECK(v == i + 1);
  }
}

namespace {
std::atomic<uint16_t> g_port{0};
std::atomic<int> g_answered{0};

Task<> serve_echo_here() {
  // Shard 0 picks the port; the others join it once it is known.
  if (this_shard() != 0)
    while (g_port.load() == 0) co_await sleep_for(1ms);
  auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, g_port.load()), {.reuse_port = true});
  if (!l) co_return;
  if (this_shard() == 0) {
    g_port.store(l->local_address().port());
    spawn([]() -> Task<> {  // a client, then SIGTERM to the process, as an operator would
      while (g_answered.load() < 20) {
        auto c = co_await Stream::connect(SocketAddress::ipv4(0x7f000001, g_port.load()));
        if (!c) break;
        if (!co_await c->send_all(std::string_view("ping"))) break;
        auto b = co_await c->recv();
        if (b && b->view() == "ping") g_answered.fetch_add(1);
      }
      ::kill(::getpid(), SIGTERM);
    }());
  }
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;  // closed by the graceful stop
    spawn([](Stream st) -> Task<> {
      for (;;) {
        auto b = co_await cancel_on_stop(st.recv());
        if (!b || b->empty() || !co_await st.send_all(b->view())) co_return;
      }
    }(std::move(*s)));
  }
}
}  // namespace

TEST_CASE_TEMPLATE("run_on_every_shard serves on every shard until SIGTERM, then stops gracefully", B,
                   CORING_BACKENDS) {
  RuntimeOptions o = shards(2);
  o.backend = B::backend;
  Runtime rt(o);
  if (rt.backend() != B::backend) return;
  g_port = 0;
  g_answered = 0;
  CHECK(rt.run_on_every_shard(serve_echo_here) == 0);
  CHECK(g_answered.load() == 20);
}

// ---- the stop sequence against tasks that ignore cancellation (found in review; ASan checks them) ----
namespace {
struct Yield {  // an uncancellable yield: keeps the shard turning through the drain
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { detail::schedule(h); }
  void await_resume() noexcept {}
};
Task<> spinner() {
  for (;;) co_await Yield{};
}
Task<> busy_call(std::chrono::milliseconds d) {
  co_await submit_to(1, [d] { std::this_thread::sleep_for(d); });
}
/// Counting versions: bodies run and finished, callers resumed (with the right value), offloads run, frames gone.
struct StopLog {
  std::atomic<int> bodies{0}, bodies_done{0}, resumed{0}, wrong{0}, frames_gone{0}, offloads{0};
};
struct Gone {
  StopLog* log;
  ~Gone() { log->frames_gone.fetch_add(1); }
};
Task<> counted_spinner(StopLog* log) {
  Gone g{log};
  for (;;) co_await Yield{};
}
Task<> counted_busy_call(std::chrono::milliseconds d, StopLog* log) {
  Gone g{log};
  const int v = co_await submit_to(1, [d, log] {
    log->bodies.fetch_add(1);
    std::this_thread::sleep_for(d);
    log->bodies_done.fetch_add(1);
    return 7;
  });
  (v == 7 ? log->resumed : log->wrong).fetch_add(1);
}
Task<> counted_offload_pump(StopLog* log) {
  Gone g{log};
  for (;;) {  // offload is not cancellable
    co_await offload([log] {
      std::this_thread::sleep_for(1ms);
      log->offloads.fetch_add(1);
    });
  }
}
Task<> call_pump() {
  for (;;) co_await submit_to(1, [] { return 0; });  // never looks at cancellation
}
RuntimeOptions quick_drain() {
  RuntimeOptions o = shards(2);
  o.drain_timeout = 10ms;
  return o;
}
}  // namespace

TEST_CASE_TEMPLATE("stop: a reply that arrives while tasks outlive the drain is not read after its caller died", B,
                   CORING_BACKENDS) {
  StopLog log;
  int rounds = 0;
  for (int i = 0; i < 3; ++i)
    rounds += test::run_on<B>([&log, i]() -> Task<> {
      spawn(counted_spinner(&log));
      spawn(counted_busy_call(30ms, &log));
      while (log.bodies.load() == i) co_await sleep_for(1ms);  // the stop begins as the body starts
    }, quick_drain());
  // Each round: the remote body ran once, to its end, although its caller was being stopped (the
  // reply comes 30 ms after the stop began, 10 ms drain). The caller either took the reply while
  // alive (with the right value) or was destroyed without it: never resumed twice or with garbage
  // (ASan sees a read of a dead frame). Both frames are gone when the runtime returns.
  CHECK(log.bodies.load() == rounds);
  CHECK(log.bodies_done.load() == rounds);
  CHECK(log.resumed.load() <= rounds);
  CHECK(log.wrong.load() == 0);
  CHECK(log.frames_gone.load() == 2 * rounds);
}

TEST_CASE_TEMPLATE("stop: offloads keep coming from a task that outlives the drain", B, CORING_BACKENDS) {
  StopLog log;
  int rounds = 0;
  for (int i = 0; i < 3; ++i) {
    const int before = log.offloads.load();
    rounds += test::run_on<B>([&log, before, i]() -> Task<> {
      spawn(counted_offload_pump(&log));
      spawn(counted_busy_call(30ms, &log));  // shard 1 is busy when the stop begins
      while (log.offloads.load() == before || log.bodies.load() == i) co_await sleep_for(1ms);  // pumping, shard 1 busy
      co_await sleep_for(3ms);
    }, quick_drain());
    CHECK(log.offloads.load() > before);  // offloads ran in this round
  }
  // Once the runtime returned, no offload of a stopped pump runs any more (none was left running
  // to write into a destroyed frame), and every frame (pump and caller) is gone.
  const int after = log.offloads.load();
  std::this_thread::sleep_for(20ms);
  CHECK(log.offloads.load() == after);
  CHECK(log.frames_gone.load() == 2 * rounds);
  CHECK(log.bodies_done.load() == rounds);
}

TEST_CASE_TEMPLATE("stop: calls keep coming from tasks that outlive the drain", B, CORING_BACKENDS) {
  for (int i = 0; i < 3; ++i) {
    RuntimeOptions o = quick_drain();
    o.backend = B::backend;
    Runtime rt(o);
    if (rt.backend() != B::backend) return;
    rt.block_on([]() -> Task<> {
      spawn(spinner());
      for (int k = 0; k < 8; ++k) spawn(call_pump());
      co_await sleep_for(3ms);
      spawn(busy_call(20ms));
      co_await sleep_for(1ms);
    }());
    // The next run must not find calls from the last one.
    CHECK(rt.block_on([]() -> Task<int> { co_return co_await submit_to(1, [] { return 41; }) + 1; }()) == 42);
  }
}

namespace {
Task<> send_sigterm_after(std::chrono::milliseconds d) {
  co_await sleep_for(d);
  ::kill(::getpid(), SIGTERM);
}
}  // namespace

TEST_CASE_TEMPLATE("run_on_every_shard keeps a capturing coroutine lambda alive while its task runs", B,
                   CORING_BACKENDS) {
  RuntimeOptions o = shards(2);
  o.backend = B::backend;
  Runtime rt(o);
  if (rt.backend() != B::backend) return;
  static std::atomic<int> seen{0};
  seen = 0;
  std::string name = "a capture long enough to live on the heap, not in the small-string buffer";
  CHECK(rt.run_on_every_shard([name]() -> Task<> {
    co_await sleep_for(5ms);  // the lambda object must still exist here
    if (name.size() > 40) seen.fetch_add(1);
    if (this_shard() == 0) spawn(send_sigterm_after(5ms));
  }) == 0);
  CHECK(seen.load() == 2);
}

TEST_CASE("a shard that cannot start makes the Runtime constructor throw, with every thread joined") {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check on the caught exception probes memory through a pipe, which needs two
  // descriptors this test has just taken away: it reports a false "invalid vptr". Run it plain.
  return;
#endif
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // Room for shard 0 and a little more, not for eight shards' eventfds and epoll instances.
  int used = 0;
  for (int fd = 0; fd < 1024; ++fd) used += ::fcntl(fd, F_GETFD) >= 0 ? 1 : 0;
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(used + 6);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  RuntimeOptions o = shards(8);
  o.backend = Backend::epoll;
  bool threw = false;
  try {
    Runtime rt(o);
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()).find("cannot start the shards") != std::string::npos;
  }
  ::setrlimit(RLIMIT_NOFILE, &saved);
  CHECK(threw);
}
