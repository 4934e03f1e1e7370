// when_all and when_any on both backends: results, concurrency, exceptions, cancellation of losers and by parents.
#include "support.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

using namespace coring;
using namespace std::chrono_literals;

namespace {

bool is_canceled(const Result<void>& r) { return !r && r.error() == errc::operation_canceled; }

Task<int> value(int v) { co_return v; }
Task<int> value_after(Duration d, int v) {
  co_await sleep_for(d);
  co_return v;
}
Task<std::string> text_after(Duration d, std::string s) {
  co_await sleep_for(d);
  co_return s;
}
Task<std::unique_ptr<int>> boxed_after(Duration d, int v) {
  co_await sleep_for(d);
  co_return std::make_unique<int>(v);
}
Task<> flag_after(Duration d, bool& flag) {
  co_await sleep_for(d);
  flag = true;
}

/// Records when it starts and how its sleep ended.
struct Probe {
  std::vector<int> events;  // +id on start, -id on end
  std::vector<int> canceled;
  std::vector<int> completed;
};
Task<int> probed(Probe& p, int id, Duration d) {
  p.events.push_back(id);
  auto r = co_await sleep_for(d);
  (is_canceled(r) ? p.canceled : p.completed).push_back(id);
  p.events.push_back(-id);
  co_return id;
}
Task<> probed_void(Probe& p, int id, Duration d) { co_await probed(p, id, d); }

Task<int> throw_after(Duration d, const char* what) {
  co_await sleep_for(d);
  throw std::runtime_error(what);
}

}  // namespace

// ---------------------------------------------------------------------------
// when_all

TEST_CASE_TEMPLATE("when_all: mixed types, void as std::monostate, results in argument order", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    bool flag = false;
    auto [i, v, s, p] = co_await when_all(value_after(15ms, 1), flag_after(5ms, flag), text_after(1ms, "s"),
                                          boxed_after(10ms, 4));
    static_assert(std::is_same_v<decltype(v), std::monostate>);
    CHECK(i == 1);
    CHECK(flag);
    CHECK(s == "s");
    REQUIRE(p);
    CHECK(*p == 4);
  });
}

TEST_CASE_TEMPLATE("when_all: the children run concurrently", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto t0 = Clock::now();
      auto [a, b, c] = co_await when_all(probed(p, 1, 30ms), probed(p, 2, 10ms), probed(p, 3, 20ms));
      CHECK(std::tie(a, b, c) == std::tuple(1, 2, 3));
      CHECK(Clock::now() - t0 >= 30ms);  // waits for the slowest
    }(probe);
  });
  // All three start before any ends; they end in the order of their deadlines.
  CHECK(probe.events == std::vector<int>{1, 2, 3, -2, -3, -1});
  CHECK(probe.canceled.empty());
}

TEST_CASE_TEMPLATE("when_all: children that never suspend, and no children at all", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto [a, b] = co_await when_all(value(1), value(2));
    CHECK(a + b == 3);
    std::tuple<> none = co_await when_all();
    (void)none;
    auto empty = co_await when_all(std::vector<Task<int>>{});
    CHECK(empty.empty());
    auto one = co_await when_all(value(5));
    CHECK(std::get<0>(one) == 5);
  });
}

TEST_CASE_TEMPLATE("when_all over a vector of tasks", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 100; ++i) tasks.push_back(value_after(std::chrono::milliseconds((100 - i) % 7), i * i));
    std::vector<int> out = co_await when_all(std::move(tasks));
    REQUIRE(out.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(out[i] == i * i);

    std::vector<Task<>> voids;
    int done = 0;
    for (int i = 0; i < 10; ++i) {
      voids.push_back([](int& d, int i) -> Task<> {
        co_await sleep_for(std::chrono::milliseconds(i % 3));
        ++d;
      }(done, i));
    }
    std::vector<std::monostate> vs = co_await when_all(std::move(voids));
    CHECK(vs.size() == 10);
    CHECK(done == 10);

    std::vector<Task<std::unique_ptr<int>>> boxes;
    for (int i = 0; i < 5; ++i) boxes.push_back(boxed_after(1ms, i));
    auto ps = co_await when_all(std::move(boxes));
    for (int i = 0; i < 5; ++i) CHECK(*ps[i] == i);
  });
}

TEST_CASE_TEMPLATE("when_all over many tasks", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5000; ++i) tasks.push_back(value_after(std::chrono::milliseconds(i % 5), i));
    auto out = co_await when_all(std::move(tasks));
    long sum = 0;
    for (int v : out) sum += v;
    CHECK(sum == 5000L * 4999 / 2);
  });
}

TEST_CASE_TEMPLATE("when_all: an exception is rethrown after every child has finished", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    bool slow_done = false;
    bool caught = false;
    try {
      co_await when_all(throw_after(0ms, "first"), flag_after(20ms, slow_done), value_after(5ms, 1));
    } catch (const std::runtime_error& e) {
      caught = true;
      CHECK(std::string(e.what()) == "first");
      CHECK(slow_done);  // the sibling was cancelled, and it ran to its end before the rethrow
    }
    CHECK(caught);

    // Vector form, two failures: one of them is rethrown.
    std::vector<Task<int>> tasks;
    tasks.push_back(value_after(1ms, 0));
    tasks.push_back(throw_after(2ms, "a"));
    tasks.push_back(throw_after(1ms, "b"));
    std::string what;
    try {
      co_await when_all(std::move(tasks));
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK((what == "a" || what == "b"));
  });
}

TEST_CASE_TEMPLATE("when_all: a child that throws cancels its siblings, which are awaited - the first exception wins", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto t0 = Clock::now();
      std::string what;
      try {
        co_await when_all(probed(p, 1, 1h), throw_after(2ms, "first"), probed_void(p, 2, 2h), throw_after(30ms, "late"));
      } catch (const std::runtime_error& e) {
        what = e.what();
      }
      CHECK(what == "first");  // the later thrower was cancelled too, and threw after its cancelled sleep
      CHECK(Clock::now() - t0 < 1s);
      CHECK(p.events.size() == 4);  // both probes started and ended before the rethrow

      // Vector form.
      std::vector<Task<int>> tasks;
      tasks.push_back(probed(p, 3, 1h));
      tasks.push_back(throw_after(1ms, "vec"));
      tasks.push_back(probed(p, 4, 1h));
      what.clear();
      try {
        co_await when_all(std::move(tasks));
      } catch (const std::runtime_error& e) {
        what = e.what();
      }
      CHECK(what == "vec");
    }(probe);
  });
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2, 3, 4});
  CHECK(probe.completed.empty());
}

TEST_CASE_TEMPLATE("when_all: cancelling the caller cancels every child", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      CancelSource src;
      spawn([](CancelSource& s) -> Task<> {
        co_await sleep_for(5ms);
        s.cancel();
      }(src));
      auto body = [](Probe& p) -> Task<int> {
        auto [a, b, c] = co_await when_all(probed(p, 1, 1h), probed(p, 2, 2h), probed(p, 3, 1ms));
        co_return a + b + c;
      };
      int sum = co_await with_cancel(body(p), src);
      CHECK(sum == 6);
    }(probe);
  });
  CHECK(probe.completed == std::vector<int>{3});
  CHECK(probe.canceled.size() == 2);
}

TEST_CASE_TEMPLATE("when_all inside with_timeout: the children are cancelled and finish first", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto body = [](Probe& p) -> Task<int> {
        auto [a, b] = co_await when_all(probed(p, 1, 1h), probed(p, 2, 1ms));
        co_return a + b;
      };
      Result<int> r = co_await with_timeout(body(p), 10ms);
      CHECK(r.error() == errc::timed_out);
      CHECK(p.events.size() == 4);  // both ended before with_timeout returned
    }(probe);
  });
  CHECK(probe.canceled == std::vector<int>{1});
  CHECK(probe.completed == std::vector<int>{2});
}

// ---------------------------------------------------------------------------
// when_any

TEST_CASE_TEMPLATE("when_any: the first to finish wins and the others are cancelled and finish before it returns", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto r = co_await when_any(probed(p, 1, 1h), probed(p, 2, 5ms), probed(p, 3, 2h));
      CHECK(r.index() == 1);
      CHECK(std::get<1>(r) == 2);
      CHECK(p.events.size() == 6);  // everybody has ended
    }(probe);
  });
  CHECK(probe.completed == std::vector<int>{2});
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 3});
}

TEST_CASE_TEMPLATE("when_any: mixed types and the variant index names the winner", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto r = co_await when_any(text_after(1h, "slow"), value_after(2ms, 9), boxed_after(1h, 1));
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == 9);

    auto s = co_await when_any(text_after(1h, "slow"), text_after(1ms, "fast"));
    CHECK(s.index() == 1);  // same types: only the index tells them apart
    CHECK(std::get<1>(s) == "fast");

    auto p = co_await when_any(value_after(1h, 0), boxed_after(1ms, 6));
    REQUIRE(p.index() == 1);
    CHECK(*std::get<1>(p) == 6);

    bool flag = false;
    auto v = co_await when_any(flag_after(1ms, flag), value_after(1h, 1));
    CHECK(v.index() == 0);
    CHECK(std::holds_alternative<std::monostate>(v));
    CHECK(flag);

    auto single = co_await when_any(value_after(1ms, 3));
    CHECK(std::get<0>(single) == 3);
  });
}

TEST_CASE_TEMPLATE("when_any: a child that finishes without suspending wins and the rest start already cancelled", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto r = co_await when_any(probed(p, 1, 1h), value(7), probed(p, 2, 1h));
      CHECK(r.index() == 1);
      CHECK(std::get<1>(r) == 7);
    }(probe);
  });
  CHECK(probe.completed.empty());
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2});
}

TEST_CASE_TEMPLATE("when_any: losers can observe the cancellation and clean up", B, CORING_BACKENDS) {
  int cleaned = 0;
  test::run_on<B>([&] {
    return [](int& cleaned) -> Task<> {
      auto loser = [](int& c) -> Task<Result<void>> {
        auto r = co_await sleep_for(1h);
        if (is_canceled(r)) c += co_await value(1);  // cleanup may await non-waiting work
        co_return r;
      };
      auto r = co_await when_any(loser(cleaned), loser(cleaned), value_after(1ms, 0));
      CHECK(r.index() == 2);
      CHECK(cleaned == 2);
    }(cleaned);
  });
  CHECK(cleaned == 2);
}

TEST_CASE_TEMPLATE("when_any inside with_timeout", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto race = [](Probe& p, Duration a, Duration b) -> Task<int> {
        auto r = co_await when_any(probed(p, 1, a), probed(p, 2, b));
        co_return r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      };
      // Someone wins before the deadline.
      Result<int> fast = co_await with_timeout(race(p, 1h, 2ms), 1h);
      REQUIRE(fast);
      CHECK(*fast == 2);
      CHECK(p.canceled == std::vector<int>{1});
      // Nobody does: every child is cancelled, the answer is timed_out.
      p = Probe{};
      auto t0 = Clock::now();
      Result<int> slow = co_await with_timeout(race(p, 1h, 2h), 10ms);
      CHECK(slow.error() == errc::timed_out);
      CHECK(Clock::now() - t0 >= 10ms);
      CHECK(p.completed.empty());
      CHECK(p.canceled.size() == 2);
      CHECK(p.events.size() == 4);
    }(probe);
  });
}

TEST_CASE_TEMPLATE("when_any: cancelling the caller cancels every child", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      CancelSource src;
      spawn([](CancelSource& s) -> Task<> {
        co_await sleep_for(3ms);
        s.cancel();
      }(src));
      auto race = [](Probe& p) -> Task<std::size_t> {
        auto r = co_await when_any(probed(p, 1, 1h), probed(p, 2, 2h));
        co_return r.index();
      };
      std::size_t idx = co_await with_cancel(race(p), src);
      CHECK(idx < 2);
    }(probe);
  });
  CHECK(probe.completed.empty());
  CHECK(probe.canceled.size() == 2);
}

TEST_CASE_TEMPLATE("when_any: a child that throws first is rethrown, and the others are cancelled", B,
                   CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      std::string what;
      try {
        co_await when_any(probed(p, 1, 1h), throw_after(2ms, "lost"), probed(p, 2, 2h));
      } catch (const std::runtime_error& e) {
        what = e.what();
      }
      CHECK(what == "lost");
      CHECK(p.events.size() == 4);
    }(probe);
  });
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2});
}

// ---------------------------------------------------------------------------
// Nesting

TEST_CASE_TEMPLATE("when_any over a when_all: the losing group is cancelled as a whole", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto group = [](Probe& p) -> Task<int> {
        auto [a, b] = co_await when_all(probed(p, 1, 1h), probed(p, 2, 1ms));
        co_return a + b;
      };
      auto r = co_await when_any(group(p), value_after(10ms, 100));
      CHECK(r.index() == 1);
      CHECK(std::get<1>(r) == 100);
    }(probe);
  });
  CHECK(probe.completed == std::vector<int>{2});
  CHECK(probe.canceled == std::vector<int>{1});
}

TEST_CASE_TEMPLATE("when_all over when_any races", B, CORING_BACKENDS) {
  Probe probe;
  test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      auto race = [](Probe& p, int a, int b) -> Task<int> {
        auto r = co_await when_any(probed(p, a, 1h), probed(p, b, std::chrono::milliseconds(b)));
        co_return r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      };
      auto [x, y] = co_await when_all(race(p, 1, 2), race(p, 3, 4));
      CHECK(x == 2);
      CHECK(y == 4);
    }(probe);
  });
  std::sort(probe.completed.begin(), probe.completed.end());
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.completed == std::vector<int>{2, 4});
  CHECK(probe.canceled == std::vector<int>{1, 3});
}

TEST_CASE_TEMPLATE("combinators in spawned tasks are cancelled when the runtime stops", B, CORING_BACKENDS) {
  Probe probe;
  bool ran = test::run_on<B>([&] {
    return [](Probe& p) -> Task<> {
      spawn([](Probe& p) -> Task<> { co_await when_all(probed_void(p, 1, 1h), probed_void(p, 2, 1h)); }(p));
      spawn([](Probe& p) -> Task<> { co_await when_any(probed_void(p, 3, 1h), probed_void(p, 4, 1h)); }(p));
      co_await sleep_for(2ms);
    }(probe);
  });
  if (!ran) return;
  std::sort(probe.canceled.begin(), probe.canceled.end());
  CHECK(probe.canceled == std::vector<int>{1, 2, 3, 4});
  CHECK(probe.events.size() == 8);
}
