// Task semantics (laziness, results, exceptions, frame ownership, symmetric transfer) and spawn on both backends.
#include "support.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coring;
using namespace std::chrono_literals;

namespace {
Task<int> value(int v) { co_return v; }
Task<int> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}
}  // namespace

TEST_CASE("a task does not start until awaited") {
  bool started = false;
  auto body = [](bool& flag) -> Task<int> {  // captureless: the frame must not refer to the closure
    flag = true;
    co_return 7;
  };
  auto t = body(started);
  CHECK_FALSE(started);
  Runtime rt;
  CHECK(rt.block_on(std::move(t)) == 7);
  CHECK(started);
}

// Symmetric transfer becomes a tail call only when the compiler optimises
// (GCC at -O0 keeps the frames), so the deep case runs in optimised builds.
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
constexpr int kDepth = 1'000'000;
#else
constexpr int kDepth = 10'000;
#endif

TEST_CASE("a deep chain of co_await does not grow the stack") {
  Runtime rt;
  CHECK(rt.block_on(chain(kDepth)) == kDepth);
}

TEST_CASE("exceptions travel to the awaiter") {
  Runtime rt;
  auto thrower = []() -> Task<int> {
    throw std::runtime_error("boom");
    co_return 1;
  };
  auto outer = [&]() -> Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  CHECK(rt.block_on(outer()) == "boom");
  CHECK(rt.block_on(value(3)) == 3);
}

// ---------------------------------------------------------------------------
// Results of every shape, laziness, lvalue awaits, frame ownership.

namespace {

/// Counts how many times it was destroyed (moved-from copies do not count).
struct Guard {
  int* destroyed;
  explicit Guard(int& d) : destroyed(&d) {}
  Guard(Guard&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
  Guard(const Guard&) = delete;
  ~Guard() {
    if (destroyed) ++*destroyed;
  }
};

struct NoDefault {
  explicit NoDefault(int x) : v(x) {}
  NoDefault(NoDefault&&) = default;
  int v;
};

struct CustomError {
  int code;
};

Task<std::string> text(std::string s) { co_return s + "!"; }
Task<std::unique_ptr<int>> boxed(int v) { co_return std::make_unique<int>(v); }
Task<NoDefault> no_default(int v) { co_return NoDefault(v); }
Task<> set_to(int& out, int v) {
  out = v;
  co_return;
}
Task<> throw_void() {
  throw std::logic_error("void boom");
  co_return;
}
Task<int> throw_custom(int code) {
  throw CustomError{code};
  co_return 0;
}
Task<int> sum_of_three() {
  // Three sub-tasks created up front, awaited one after the other.
  auto a = value(1);
  auto b = value(2);
  auto c = value(3);
  int s = co_await std::move(a);
  s += co_await std::move(b);
  s += co_await std::move(c);
  co_return s;
}

}  // namespace

TEST_CASE("Task<T> carries values of several types") {
  Runtime rt;
  CHECK(rt.block_on(value(-5)) == -5);
  CHECK(rt.block_on(text("hi")) == "hi!");
  CHECK(rt.block_on(no_default(9)).v == 9);
  CHECK(rt.block_on(sum_of_three()) == 6);
}

TEST_CASE("Task<void> runs to completion and block_on returns") {
  Runtime rt;
  int x = 0;
  rt.block_on(set_to(x, 11));
  CHECK(x == 11);
  auto outer = [](int& out) -> Task<> {
    co_await set_to(out, 1);
    co_await set_to(out, out + 1);
  };
  rt.block_on(outer(x));
  CHECK(x == 2);
}

TEST_CASE("a move-only result (std::unique_ptr) is moved out, through co_await and block_on") {
  Runtime rt;
  auto p = rt.block_on(boxed(42));
  REQUIRE(p);
  CHECK(*p == 42);
  auto outer = []() -> Task<std::unique_ptr<int>> {
    auto inner = co_await boxed(7);
    *inner += 1;
    co_return inner;
  };
  auto q = rt.block_on(outer());
  REQUIRE(q);
  CHECK(*q == 8);
}

TEST_CASE("a task body runs only when awaited, in the order of the awaits") {
  std::vector<int> order;
  auto step = [](std::vector<int>& o, int id) -> Task<> {
    o.push_back(id);
    co_return;
  };
  auto outer = [](std::vector<int>& o, Task<> t1, Task<> t2) -> Task<> {
    o.push_back(0);
    co_await std::move(t2);  // created second, awaited first
    o.push_back(3);
    co_await std::move(t1);
    o.push_back(4);
  };
  auto t1 = step(order, 1);
  auto t2 = step(order, 2);
  auto root = outer(order, std::move(t1), std::move(t2));
  CHECK(order.empty());
  CHECK_FALSE(root.done());
  Runtime rt;
  rt.block_on(std::move(root));
  CHECK(order == std::vector<int>{0, 2, 3, 1, 4});
}

TEST_CASE("awaiting an lvalue task runs it once and leaves it done") {
  Runtime rt;
  auto body = [](int& runs) -> Task<int> {
    auto count = [](int& r) -> Task<int> { co_return ++r; };
    auto t = count(runs);
    CHECK_FALSE(t.done());
    int v = co_await t;  // lvalue
    CHECK(t.valid());
    CHECK(t.done());
    co_return v * 10;
  };
  int runs = 0;
  CHECK(rt.block_on(body(runs)) == 10);
  CHECK(runs == 1);
}

TEST_CASE("awaiting an lvalue task with a move-only result") {
  Runtime rt;
  auto body = []() -> Task<int> {
    auto t = boxed(5);
    std::unique_ptr<int> p = co_await t;
    co_return p ? *p : -1;
  };
  CHECK(rt.block_on(body()) == 5);
}

TEST_CASE("a default-constructed Task is invalid and done") {
  Task<int> t;
  CHECK_FALSE(t.valid());
  CHECK(t.done());
  Task<> v;
  CHECK_FALSE(v.valid());
  CHECK(v.done());
}

TEST_CASE("destroying a task that never ran destroys its frame without running the body") {
  int destroyed = 0;
  bool ran = false;
  {
    auto body = [](Guard g, bool& r) -> Task<> {
      r = true;
      (void)g;
      co_return;
    };
    auto t = body(Guard(destroyed), ran);
    CHECK(destroyed == 0);  // the parameter lives in the frame
  }
  CHECK_FALSE(ran);
  CHECK(destroyed == 1);
}

TEST_CASE("move construction and assignment transfer the frame and assignment destroys the old one") {
  int d1 = 0, d2 = 0;
  auto body = [](Guard g, int v) -> Task<int> {
    (void)g;
    co_return v;
  };
  auto a = body(Guard(d1), 1);
  auto b = body(Guard(d2), 2);
  Task<int> c(std::move(a));
  CHECK_FALSE(a.valid());
  CHECK(c.valid());
  CHECK(d1 == 0);
  c = std::move(b);  // the frame of the first task goes away here
  CHECK(d1 == 1);
  CHECK(d2 == 0);
  CHECK_FALSE(b.valid());
  Runtime rt;
  CHECK(rt.block_on(std::move(c)) == 2);
  CHECK(d2 == 1);
}

TEST_CASE("release() hands over the frame") {
  int destroyed = 0;
  auto body = [](Guard g) -> Task<> {
    (void)g;
    co_return;
  };
  auto t = body(Guard(destroyed));
  auto h = t.release();
  CHECK_FALSE(t.valid());
  CHECK(h);
  CHECK(destroyed == 0);
  h.destroy();
  CHECK(destroyed == 1);
}

TEST_CASE("a finished task's locals are destroyed before its awaiter resumes") {
  Runtime rt;
  auto inner = [](int& d) -> Task<> {
    Guard g(d);
    co_return;
  };
  auto outer = [](auto inner, int& d) -> Task<int> {
    co_await inner(d);
    co_return d;  // the inner frame is gone by now
  };
  int destroyed = 0;
  CHECK(rt.block_on(outer(inner, destroyed)) == 1);
}

TEST_CASE("exceptions: from a void task, of a non-std type, and out of block_on") {
  Runtime rt;
  auto catch_void = []() -> Task<std::string> {
    try {
      co_await throw_void();
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  CHECK(rt.block_on(catch_void()) == "void boom");

  auto catch_custom = []() -> Task<int> {
    try {
      co_await throw_custom(17);
    } catch (const CustomError& e) {
      co_return e.code;
    }
    co_return -1;
  };
  CHECK(rt.block_on(catch_custom()) == 17);

  CHECK_THROWS_AS(rt.block_on(throw_void()), std::logic_error);
  // The exception passes through intermediate frames untouched.
  auto middle = []() -> Task<int> {
    int v = co_await throw_custom(3);
    co_return v + 1;
  };
  try {
    rt.block_on(middle());
    FAIL("no exception");
  } catch (const CustomError& e) {
    CHECK(e.code == 3);
  }
  // The runtime stays usable after a root task threw.
  CHECK(rt.block_on(value(4)) == 4);
}

TEST_CASE("an exception does not leak the frames it unwinds through") {
  int destroyed = 0;
  {
    Runtime rt;
    auto inner = [](int& d) -> Task<int> {
      Guard g(d);
      throw std::runtime_error("x");
      co_return 0;
    };
    auto outer = [](auto inner, int& d) -> Task<int> {
      Guard g(d);
      co_return co_await inner(d);
    };
    CHECK_THROWS_AS(rt.block_on(outer(inner, destroyed)), std::runtime_error);
  }
  CHECK(destroyed == 2);
}

TEST_CASE("a Runtime runs several roots one after another") {
  Runtime rt;
  for (int i = 0; i < 5; ++i) CHECK(rt.block_on(value(i)) == i);
}

// ---------------------------------------------------------------------------
// spawn: detached tasks on both backends.

namespace {

Task<> sleeper_inc(int& done, std::chrono::milliseconds d) {
  co_await sleep_for(d);
  ++done;
}

Task<> wait_until_count(const int& n, int target) {
  while (n < target) co_await sleep_for(1ms);
}

}  // namespace

TEST_CASE("spawned_count() is 0 outside a runtime") { CHECK(spawned_count() == 0); }

TEST_CASE_TEMPLATE("spawn runs a detached task to completion", B, CORING_BACKENDS) {
  int done = 0;
  test::run_on<B>([&] {
    return [](int& d) -> Task<> {
      spawn(sleeper_inc(d, 1ms));
      co_await wait_until_count(d, 1);
    }(done);
  });
  CHECK(done == 1);
}

TEST_CASE_TEMPLATE("spawn queues the task: it starts once the spawner suspends", B, CORING_BACKENDS) {
  int ran = 0;
  test::run_on<B>([&] {
    return [](int& r) -> Task<> {
      spawn([](int& x) -> Task<> {
        ++x;
        co_return;
      }(r));
      CHECK(r == 0);  // not run inline by spawn()
      co_await sleep_for(1ms);
      CHECK(r == 1);
    }(ran);
  });
  CHECK(ran == 1);
}

TEST_CASE_TEMPLATE("spawned_count() tracks live spawned tasks", B, CORING_BACKENDS) {
  int done = 0;
  test::run_on<B>([&] {
    return [](int& d) -> Task<> {
      CHECK(spawned_count() == 0);
      spawn(sleeper_inc(d, 5ms));
      spawn(sleeper_inc(d, 10ms));
      spawn(sleeper_inc(d, 15ms));
      CHECK(spawned_count() == 3);
      spawn(Task<>{});  // an empty task is ignored
      CHECK(spawned_count() == 3);
      co_await wait_until_count(d, 1);
      CHECK(spawned_count() == 3 - std::size_t(d));
      co_await wait_until_count(d, 3);
      CHECK(spawned_count() == 0);
      // A task that finishes without ever suspending is unlinked too.
      spawn([]() -> Task<> { co_return; }());
      CHECK(spawned_count() == 1);
      co_await sleep_for(1ms);
      CHECK(spawned_count() == 0);
    }(done);
  });
  CHECK(done == 3);
}

TEST_CASE_TEMPLATE("spawned tasks may spawn more tasks", B, CORING_BACKENDS) {
  int done = 0;
  test::run_on<B>([&] {
    return [](int& d) -> Task<> {
      spawn([](int& d) -> Task<> {
        for (int i = 0; i < 10; ++i) spawn(sleeper_inc(d, std::chrono::milliseconds(i % 3)));
        ++d;
        co_return;
      }(d));
      co_await wait_until_count(d, 11);
      CHECK(spawned_count() == 0);
    }(done);
  });
  CHECK(done == 11);
}

TEST_CASE_TEMPLATE("many spawned tasks all run", B, CORING_BACKENDS) {
  int done = 0;
  test::run_on<B>([&] {
    return [](int& d) -> Task<> {
      for (int i = 0; i < 2000; ++i) spawn(sleeper_inc(d, std::chrono::milliseconds(i % 4)));
      CHECK(spawned_count() == 2000);
      co_await wait_until_count(d, 2000);
      CHECK(spawned_count() == 0);
    }(done);
  });
  CHECK(done == 2000);
}
