// spawn_joinable / JoinHandle and TaskGroup on both backends: results, exceptions, cancel, the joiner's cancel, stop.
#include "support.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coring;
using namespace std::chrono_literals;

namespace {

Task<int> value_after(Duration d, int v) {
  co_await sleep_for(d);
  co_return v;
}
/// -1 when its sleep was cancelled.
Task<int> sleeper(Duration d, int v) {
  auto r = co_await sleep_for(d);
  co_return r ? v : -1;
}
Task<int> throw_after(Duration d, const char* what) {
  co_await sleep_for(d);
  throw std::runtime_error(what);
}
struct Probe {
  std::vector<int> canceled, completed;
};
Task<> probed(Probe& p, int id, Duration d) {
  auto r = co_await sleep_for(d);
  (r ? p.completed : p.canceled).push_back(id);
}
Task<> thrower(Duration d, const char* what) { co_await throw_after(d, what); }

template <class T>
Task<Result<T>> join_of(JoinHandle<T>& h) {
  co_return co_await h.join();
}
Task<Result<void>> wait_of(TaskGroup& g) { co_return co_await g.wait(); }

}  // namespace

// ---------------------------------------------------------------------------
// spawn_joinable

TEST_CASE_TEMPLATE("spawn_joinable: join gives the value, before or after the task ended", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto h = spawn_joinable(value_after(5ms, 42));
    CHECK(!h.done());
    auto r = co_await h.join();
    REQUIRE(r);
    CHECK(*r == 42);
    CHECK(h.done());
    auto again = co_await h.join();
    REQUIRE(!again);
    CHECK(again.error() == errc::invalid_argument);

    auto quick = spawn_joinable(value_after(0ms, 7));
    co_await test::nap(5ms);
    CHECK(quick.done());
    auto q = co_await quick.join();
    REQUIRE(q);
    CHECK(*q == 7);

    bool ran = false;
    auto v = spawn_joinable([](bool& ran) -> Task<> {
      co_await sleep_for(1ms);
      ran = true;
    }(ran));
    Result<void> vr = co_await v.join();
    CHECK(vr);
    CHECK(ran);

    JoinHandle<int> empty;
    auto e = co_await empty.join();
    CHECK(e.error() == errc::invalid_argument);
  });
}

TEST_CASE_TEMPLATE("spawn_joinable: an exception is rethrown by join", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto h = spawn_joinable(throw_after(1ms, "boom"));
    std::string what;
    try {
      (void)co_await h.join();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "boom");
  });
}

TEST_CASE_TEMPLATE("spawn_joinable: cancel() cancels the task - join waits for its end", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto h = spawn_joinable(sleeper(1h, 1));
    co_await test::nap(2ms);
    h.cancel();
    auto r = co_await h.join();
    REQUIRE(r);
    CHECK(*r == -1);
    h.cancel();  // after the end: nothing to do
  });
}

TEST_CASE_TEMPLATE("spawn_joinable: a cancelled joiner stops waiting, the task runs on and can be joined again", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto h = spawn_joinable(sleeper(20ms, 5));
    CancelSource src;
    auto joiner = test::under(src, join_of(h));
    auto canceller = [](CancelSource& s) -> Task<> {
      co_await test::nap(2ms);
      s.cancel();
    }(src);
    auto [r, none] = co_await when_all(std::move(joiner), std::move(canceller));
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(!h.done());
    auto r2 = co_await h.join();
    REQUIRE(r2);
    CHECK(*r2 == 5);  // not cancelled itself
  });
}

TEST_CASE_TEMPLATE("spawn_joinable: a second joiner is refused - a dropped handle leaves the task running", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto h = spawn_joinable(value_after(5ms, 1));
    auto [a, b] = co_await when_all(join_of(h), join_of(h));
    REQUIRE(a);
    CHECK(*a == 1);
    REQUIRE(!b);
    CHECK(b.error() == errc::device_or_resource_busy);

    bool ran = false;
    {
      auto dropped = spawn_joinable([](bool& ran) -> Task<int> {
        co_await sleep_for(2ms);
        ran = true;
        co_return 0;
      }(ran));
    }
    co_await test::nap(10ms);
    CHECK(ran);
  });
}

TEST_CASE_TEMPLATE("spawn_joinable: the runtime's stop cancels a task nobody joined", B, CORING_BACKENDS) {
  JoinHandle<int> h;
  test::run_on<B>([&]() -> Task<> {
    h = spawn_joinable(sleeper(1h, 1));
    co_return;
  });
  CHECK(h.done());
}

// ---------------------------------------------------------------------------
// TaskGroup

TEST_CASE_TEMPLATE("TaskGroup: wait returns when every member has ended", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&]() -> Task<> {
    TaskGroup g;
    CHECK(co_await g.wait());  // empty: at once
    auto t0 = Clock::now();
    for (int i = 1; i <= 3; ++i) g.spawn(probed(probe, i, i * 5ms));
    CHECK(g.size() == 3);
    auto r = co_await g.wait();
    CHECK(r);
    CHECK(g.size() == 0);
    CHECK(Clock::now() - t0 >= 15ms);
    CHECK(spawned_count() == 0);
  });
  CHECK(probe.completed == std::vector<int>{1, 2, 3});
}

TEST_CASE_TEMPLATE("TaskGroup: the first exception cancels the other members and is rethrown by wait", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&]() -> Task<> {
    TaskGroup g;
    g.spawn(probed(probe, 1, 1h));
    g.spawn(thrower(2ms, "first"));
    g.spawn(probed(probe, 2, 1h));
    std::string what;
    try {
      (void)co_await g.wait();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "first");
    CHECK(g.size() == 0);
  });
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2});
}

TEST_CASE_TEMPLATE("TaskGroup: cancel() cancels members, later ones start cancelled, wait says operation_canceled", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&]() -> Task<> {
    TaskGroup g;
    g.spawn(probed(probe, 1, 1h));
    g.spawn(probed(probe, 2, 1h));
    co_await test::nap(2ms);
    g.cancel();
    g.spawn(probed(probe, 3, 1h));
    auto r = co_await g.wait();
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
  });
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2, 3});
}

TEST_CASE_TEMPLATE("TaskGroup: cancelling the waiting task cancels the members and still waits for them", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&]() -> Task<> {
    TaskGroup g;
    g.spawn(probed(probe, 1, 1h));
    g.spawn(probed(probe, 2, 1h));
    CancelSource src;
    auto waiter = test::under(src, wait_of(g));
    auto canceller = [](CancelSource& s) -> Task<> {
      co_await test::nap(2ms);
      s.cancel();
    }(src);
    auto [r, none] = co_await when_all(std::move(waiter), std::move(canceller));
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(g.size() == 0);
    CHECK(probe.canceled.size() == 2);
  });
}

TEST_CASE_TEMPLATE("TaskGroup: a group destroyed with members running cancels them and leaves them detached", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&]() -> Task<> {
    {
      TaskGroup g;
      g.spawn(probed(probe, 1, 1h));
      g.spawn(probed(probe, 2, 1h));
      co_await test::nap(1ms);
    }
    co_await test::nap(5ms);
    CHECK(spawned_count() == 0);
  });
  CHECK(probe.canceled.size() == 2);
}

TEST_CASE_TEMPLATE("TaskGroup: at the runtime's stop, a spawned task waiting on its group ends with its members", B,
                   CORING_BACKENDS) {
  Probe probe;
  bool waited = false;
  test::run_on<B>([&]() -> Task<> {
    spawn([](Probe& p, bool& waited) -> Task<> {
      TaskGroup g;
      g.spawn(probed(p, 1, 1h));
      g.spawn(probed(p, 2, 1h));
      auto r = co_await g.wait();
      waited = !r && r.error() == errc::operation_canceled;
    }(probe, waited));
    co_await test::nap(2ms);
  });
  CHECK(waited);
  CHECK(probe.canceled.size() == 2);
}
