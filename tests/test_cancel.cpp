// Cancellation on both backends: with_cancel and CancelSource, with_timeout, and how a stopping runtime cancels, drains and destroys spawned tasks.
#include "support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>

using namespace coring;
using namespace std::chrono_literals;

namespace {

/// Counts destructions; used to see that a frame was destroyed.
struct Guard {
  int* destroyed;
  explicit Guard(int& d) : destroyed(&d) {}
  Guard(const Guard&) = delete;
  ~Guard() { ++*destroyed; }
};

/// Suspends and never resumes, and does not register with cancellation:
/// a task awaiting it ignores being cancelled.
struct Forever {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

/// Captures what the runtime writes to stderr (its log) while alive.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    REQUIRE(file_);
    saved_ = ::dup(2);
    ::dup2(::fileno(file_), 2);
  }
  ~StderrCapture() { restore(); }
  std::string finish() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) out.append(buf, n);
    std::fclose(file_);
    file_ = nullptr;
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

bool warnings_logged() {
  const char* v = std::getenv("CORING_LOG");
  return !v || std::strcmp(v, "error") != 0;
}

template <class B>
RuntimeOptions options_for(std::chrono::milliseconds drain = std::chrono::milliseconds(5000)) {
  RuntimeOptions o;
  o.backend = B::backend;
  o.drain_timeout = drain;
  return o;
}

bool is_canceled(const Result<void>& r) { return !r && r.error() == errc::operation_canceled; }

Task<Result<void>> nap(Duration d) { co_return co_await sleep_for(d); }
Task<int> value(int v) { co_return v; }
Task<int> value_after(Duration d, int v) {
  co_await sleep_for(d);
  co_return v;
}
Task<> cancel_after(CancelSource& src, Duration d) {
  co_await sleep_for(d);
  src.cancel();
}
Task<> wait_until_count(const int& n, int target) {
  while (n < target) co_await sleep_for(1ms);
}

}  // namespace

// ---------------------------------------------------------------------------
// with_cancel + CancelSource

TEST_CASE_TEMPLATE("with_cancel returns the task's own value when nothing cancels it", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    int v = co_await with_cancel(value_after(1ms, 5), src);
    CHECK(v == 5);
    CHECK_FALSE(src.cancelled());
    auto r = co_await with_cancel(nap(1ms), src);
    CHECK(r);
    // A Task<void> gives void back.
    co_await with_cancel([]() -> Task<> { co_await sleep_for(1ms); }(), src);
    CHECK_FALSE(src.cancelled());
  });
}

TEST_CASE_TEMPLATE("cancel from another task resumes the waiter with operation_canceled", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    auto t0 = Clock::now();
    spawn(cancel_after(src, 10ms));
    auto r = co_await with_cancel(nap(1h), src);
    CHECK(is_canceled(r));
    CHECK(src.cancelled());
    CHECK(Clock::now() - t0 >= 10ms);  // not before the cancel happened
  });
}

namespace {
Task<Result<void>> nap_under(CancelSource& src) { co_return co_await with_cancel(nap(1h), src); }
Task<int> value_under(CancelSource& src) { co_return co_await with_cancel(value_after(1ms, 3), src); }
}  // namespace

TEST_CASE_TEMPLATE("one CancelSource cancels every scope that shares it", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    spawn(cancel_after(src, 5ms));
    auto [a, b, c] = co_await when_all(nap_under(src), nap_under(src), value_under(src));
    CHECK(is_canceled(a));
    CHECK(is_canceled(b));
    CHECK(c == 3);  // finished before the cancel
    auto late = co_await with_cancel(nap(1h), src);  // sticky: starts cancelled
    CHECK(is_canceled(late));
  });
}

namespace {
Task<> sticky_body(bool& other_ran, int& checked) {
  auto first = co_await sleep_for(1h);  // cancelled from outside
  CHECK(is_canceled(first));
  // Anything that let the loop turn would run the spawned task below;
  // failing "at once" means none of these suspends.
  spawn([](bool& f) -> Task<> {
    f = true;
    co_return;
  }(other_ran));
  CHECK(is_canceled(co_await sleep_for(1h)));
  CHECK(is_canceled(co_await sleep_until(Clock::now() + 1h)));
  CHECK(is_canceled(co_await nap(1h)));                    // a nested task shares the state
  CHECK(is_canceled(co_await sleep_for(0ms)));             // even a sleep that is already due
  CHECK(is_canceled(co_await with_timeout(nap(1h), 1h)));  // a nested scope starts cancelled
  auto [a, b] = co_await when_all(nap(1h), nap(2h));       // so do combinator children
  CHECK(is_canceled(a));
  CHECK(is_canceled(b));
  auto any = co_await when_any(nap(1h), nap(2h));
  CHECK(is_canceled(any.index() == 0 ? std::get<0>(any) : std::get<1>(any)));
  CHECK_FALSE(other_ran);
  checked = 1;
}
}  // namespace

TEST_CASE_TEMPLATE("cancellation is sticky: later operations fail at once", B, CORING_BACKENDS) {
  bool other_ran = false;
  int checked = 0;
  test::run_on<B>([&] {
    return [](bool& other_ran, int& checked) -> Task<> {
      CancelSource src;
      spawn(cancel_after(src, 2ms));
      co_await with_cancel(sticky_body(other_ran, checked), src);
      CHECK(checked == 1);
      // The caller itself was not cancelled.
      CHECK(co_await sleep_for(1ms));
      CHECK(other_ran);
    }(other_ran, checked);
  });
}

TEST_CASE_TEMPLATE("a source cancelled before with_cancel starts fails the first operation at once", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    src.cancel();
    src.cancel();  // idempotent
    CHECK(src.cancelled());
    auto r = co_await with_cancel(nap(1h), src);
    CHECK(is_canceled(r));
    // Work that never waits is unaffected.
    CHECK(co_await with_cancel(value(3), src) == 3);
  });
}

TEST_CASE_TEMPLATE("cancelling an idle source, or one whose task finished, is harmless", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource idle;
    idle.cancel();
    CancelSource used;
    CHECK(co_await with_cancel(nap(1ms), used));
    used.cancel();
    CHECK(used.cancelled());
    CHECK(co_await sleep_for(1ms));  // the caller is not affected
  });
}

TEST_CASE_TEMPLATE("a cancelled task runs its cleanup before with_cancel returns", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    int cleaned = 0;
    spawn(cancel_after(src, 2ms));
    auto body = [](int& c) -> Task<std::string> {
      auto r = co_await sleep_for(1h);
      c += co_await value(1);  // cleanup may await tasks that do not wait
      c += 1;
      co_return is_canceled(r) ? "cancelled" : "slept";
    };
    std::string s = co_await with_cancel(body(cleaned), src);
    CHECK(s == "cancelled");
    CHECK(cleaned == 2);
  });
}

TEST_CASE_TEMPLATE("with_cancel propagates exceptions", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource src;
    spawn(cancel_after(src, 2ms));
    auto body = []() -> Task<int> {
      auto r = co_await sleep_for(1h);
      if (!r) throw std::runtime_error(r.error().message());
      co_return 0;
    };
    bool caught = false;
    try {
      co_await with_cancel(body(), src);
    } catch (const std::runtime_error& e) {
      caught = true;
      CHECK(std::string(e.what()) == std::make_error_code(errc::operation_canceled).message());
    }
    CHECK(caught);
  });
}

namespace {
Task<Result<void>> nested_timeout_then_sleep(int& inner_canceled) {
  auto r = co_await with_timeout(nap(1h), 1h);
  if (is_canceled(r)) ++inner_canceled;  // cancelled by the parent, not timed out
  co_return co_await sleep_for(1h);       // still cancelled: sticky
}
}  // namespace

TEST_CASE_TEMPLATE("cancelling the parent reaches a nested with_timeout", B, CORING_BACKENDS) {
  int inner_canceled = 0;
  test::run_on<B>([&] {
    return [](int& inner_canceled) -> Task<> {
      CancelSource src;
      spawn(cancel_after(src, 5ms));
      auto r = co_await with_cancel(nested_timeout_then_sleep(inner_canceled), src);
      CHECK(is_canceled(r));
    }(inner_canceled);
  });
  CHECK(inner_canceled == 1);
}

TEST_CASE_TEMPLATE("cancelling the outer source cancels an inner with_cancel scope", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource outer, inner;
    spawn(cancel_after(outer, 3ms));
    auto body = [](CancelSource& inner) -> Task<Result<void>> {
      co_return co_await with_cancel(nap(1h), inner);
    };
    auto r = co_await with_cancel(body(inner), outer);
    CHECK(is_canceled(r));
    CHECK(outer.cancelled());
  });
}

TEST_CASE_TEMPLATE("cancelling an inner scope leaves the outer task running", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    CancelSource outer, inner;
    spawn(cancel_after(inner, 3ms));
    auto body = [](CancelSource& inner) -> Task<int> {
      auto r = co_await with_cancel(nap(1h), inner);
      CHECK(is_canceled(r));
      auto again = co_await sleep_for(1ms);  // the outer scope is not cancelled
      co_return again ? 1 : 0;
    };
    CHECK(co_await with_cancel(body(inner), outer) == 1);
    CHECK_FALSE(outer.cancelled());
    CHECK(inner.cancelled());
  });
}

// ---------------------------------------------------------------------------
// with_timeout

TEST_CASE_TEMPLATE("with_timeout: a fast task returns its value", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Result<int> r = co_await with_timeout(value_after(1ms, 7), 1h);
    REQUIRE(r);
    CHECK(*r == 7);
    Result<int> sync = co_await with_timeout(value(8), 1h);  // never suspends
    REQUIRE(sync);
    CHECK(*sync == 8);
    Result<int> zero = co_await with_timeout(value(9), 0ms);  // done before the deadline is looked at
    REQUIRE(zero);
    CHECK(*zero == 9);
    Result<std::unique_ptr<int>> p =
        co_await with_timeout([]() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(4); }(), 1h);
    REQUIRE(p);
    CHECK(**p == 4);
  });
}

TEST_CASE_TEMPLATE("with_timeout: a slow task yields timed_out, not before the deadline", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto t0 = Clock::now();
    Result<int> r = co_await with_timeout(value_after(1h, 1), 20ms);
    CHECK_FALSE(r);
    CHECK(r.error() == errc::timed_out);
    CHECK(Clock::now() - t0 >= 20ms);
    Result<int> zero = co_await with_timeout(value_after(1h, 1), 0ms);
    CHECK(zero.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("with_timeout: Task<void> gives Result<void>", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto quick = []() -> Task<> { co_await sleep_for(1ms); };
    auto slow = []() -> Task<> { co_await sleep_for(1h); };
    Result<void> a = co_await with_timeout(quick(), 1h);
    CHECK(a);
    Result<void> b = co_await with_timeout(slow(), 5ms);
    CHECK(b.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("with_timeout: a Task<Result<T>> is flattened", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto ok = []() -> Task<Result<int>> { co_return 5; };
    auto fails = []() -> Task<Result<int>> { co_return errc::connection_refused; };
    auto slow = []() -> Task<Result<int>> {
      auto r = co_await sleep_for(1h);
      if (!r) co_return r.error();
      co_return 1;
    };
    Result<int> a = co_await with_timeout(ok(), 1h);  // Result<int>, not Result<Result<int>>
    REQUIRE(a);
    CHECK(*a == 5);
    Result<int> b = co_await with_timeout(fails(), 1h);
    CHECK(b.error() == errc::connection_refused);  // the task's own error is kept
    Result<int> c = co_await with_timeout(slow(), 5ms);
    CHECK(c.error() == errc::timed_out);  // the cancellation it saw is reported as the timeout
    Result<void> d = co_await with_timeout(nap(5ms), 1h);
    CHECK(d);
    Result<void> e = co_await with_timeout(nap(1h), 5ms);
    CHECK(e.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("with_timeout: the cancelled task runs to its end before with_timeout returns", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    int steps = 0;
    auto body = [](int& steps) -> Task<int> {
      Guard g(steps);  // destroyed when the frame ends: counts as a step
      auto r = co_await sleep_for(1h);
      CHECK(is_canceled(r));  // the task itself sees a cancellation
      steps += co_await value(10);
      co_return 1;
    };
    auto r = co_await with_timeout(body(steps), 5ms);
    CHECK(r.error() == errc::timed_out);  // even though the task returned a value
    CHECK(steps == 11);
  });
}

TEST_CASE_TEMPLATE("with_timeout on a single operation", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Result<void> a = co_await with_timeout(sleep_for(1h), 5ms);
    CHECK(a.error() == errc::timed_out);
    Result<void> b = co_await with_timeout(sleep_for(1ms), 1h);
    CHECK(b);
  });
}

TEST_CASE_TEMPLATE("with_timeout propagates exceptions, before and after the deadline", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto early = []() -> Task<int> {
      co_await sleep_for(1ms);
      throw std::runtime_error("early");
    };
    auto late = []() -> Task<int> {
      co_await sleep_for(1h);
      throw std::runtime_error("late");
    };
    std::string seen;
    try {
      co_await with_timeout(early(), 1h);
    } catch (const std::runtime_error& e) {
      seen += e.what();
    }
    try {
      co_await with_timeout(late(), 2ms);
    } catch (const std::runtime_error& e) {
      seen += e.what();
    }
    CHECK(seen == "earlylate");
  });
}

namespace {
Task<Result<void>> inner_timeout(Duration inner, Result<void>& inner_result) {
  inner_result = co_await with_timeout(nap(1h), inner);
  co_return co_await sleep_for(1ms);
}
}  // namespace

TEST_CASE_TEMPLATE("nested with_timeout: whichever deadline comes first decides", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Result<void> inner = errc::invalid_argument;
    // The inner deadline is first: the inner call times out, the outer task carries on.
    Result<void> outer = co_await with_timeout(inner_timeout(5ms, inner), 1h);
    CHECK(inner.error() == errc::timed_out);
    CHECK(outer);
    // The outer deadline is first: the inner call sees a cancellation, the outer a timeout.
    inner = errc::invalid_argument;
    outer = co_await with_timeout(inner_timeout(1h, inner), 5ms);
    CHECK(inner.error() == errc::operation_canceled);
    CHECK(outer.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("a finished with_timeout leaves no timer behind", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    for (int i = 0; i < 200; ++i) {
      Result<int> r = co_await with_timeout(value(i), 2ms);
      CHECK(*r == i);
      Result<void> s = co_await with_timeout(nap(0ms), 3ms);
      CHECK(s);
    }
    // Had a deadline stayed queued, it would fire now into a dead awaiter.
    CHECK(co_await sleep_for(10ms));
  });
}

// ---------------------------------------------------------------------------
// A stopping runtime: cancel, drain, destroy.

namespace {

struct StopLog {
  int canceled = 0;
  int cleaned = 0;
  int other = 0;
};

Task<> victim_sleep(StopLog& log) {
  auto r = co_await sleep_for(1h);
  (is_canceled(r) ? log.canceled : log.other)++;
  log.cleaned += co_await value(1);
}
Task<> victim_nested(StopLog& log) {
  auto r = co_await nap(1h);
  (is_canceled(r) ? log.canceled : log.other)++;
  ++log.cleaned;
}
Task<> victim_timeout(StopLog& log) {
  auto r = co_await with_timeout(nap(1h), 1h);
  (is_canceled(r) ? log.canceled : log.other)++;  // cancelled, not timed out
  ++log.cleaned;
}
Task<> victim_when_all(StopLog& log) {
  auto [a, b] = co_await when_all(nap(1h), nap(2h));
  (is_canceled(a) && is_canceled(b) ? log.canceled : log.other)++;
  ++log.cleaned;
}
Task<> victim_with_cancel(StopLog& log) {
  CancelSource mine;  // lives in this frame, which outlives the scope
  auto r = co_await with_cancel(nap(1h), mine);
  (is_canceled(r) ? log.canceled : log.other)++;
  ++log.cleaned;
}

}  // namespace

TEST_CASE_TEMPLATE("a runtime whose root returns cancels its spawned tasks, which clean up", B, CORING_BACKENDS) {
  StopLog log;
  bool ran = test::run_on<B>([&] {
    return [](StopLog& log) -> Task<> {
      spawn(victim_sleep(log));
      spawn(victim_nested(log));
      spawn(victim_timeout(log));
      spawn(victim_when_all(log));
      spawn(victim_with_cancel(log));
      co_await sleep_for(2ms);  // all of them are waiting now
      CHECK(spawned_count() == 5);
      CHECK(log.canceled + log.other == 0);
    }(log);
  });
  if (!ran) return;
  CHECK(log.canceled == 5);
  CHECK(log.other == 0);
  CHECK(log.cleaned == 5);
}

TEST_CASE_TEMPLATE("spawned tasks that ignore cancellation are destroyed after the drain period", B,
                   CORING_BACKENDS) {
  int destroyed = 0;
  int cooperative_done = 0;
  Clock::time_point root_end;
  StderrCapture capture;
  bool ran = test::run_on<B>(
      [&] {
        return [](int& destroyed, int& coop, Clock::time_point& root_end) -> Task<> {
          spawn([](int& d) -> Task<> {
            Guard g(d);
            co_await Forever{};
          }(destroyed));
          spawn([](int& d) -> Task<> {  // stuck two frames deep
            Guard g(d);
            co_await [](int& d) -> Task<> {
              Guard inner(d);
              co_await Forever{};
            }(d);
          }(destroyed));
          spawn([](int& c) -> Task<> {  // a well-behaved one next to them
            co_await sleep_for(1h);
            ++c;
          }(coop));
          co_await sleep_for(1ms);
          CHECK(spawned_count() == 3);
          root_end = Clock::now();
        }(destroyed, cooperative_done, root_end);
      },
      options_for<B>(50ms));
  std::string log = capture.finish();
  if (!ran) return;
  CHECK(destroyed == 3);  // every frame, including the nested one, is gone
  CHECK(cooperative_done == 1);
  CHECK(Clock::now() - root_end >= 50ms);  // they were given the drain period
  if (warnings_logged()) CHECK(log.find("still running after the drain period") != std::string::npos);
}

TEST_CASE_TEMPLATE("a zero drain period destroys the spawned tasks at once", B, CORING_BACKENDS) {
  int destroyed = 0;
  StderrCapture capture;
  bool ran = test::run_on<B>(
      [&] {
        return [](int& destroyed) -> Task<> {
          for (int i = 0; i < 3; ++i) {
            spawn([](int& d) -> Task<> {
              Guard g(d);
              co_await sleep_for(1h);
            }(destroyed));
          }
          co_await sleep_for(1ms);
        }(destroyed);
      },
      options_for<B>(0ms));
  capture.finish();
  if (!ran) return;
  CHECK(destroyed == 3);
}

namespace {
Task<> late_victim(StopLog& log) {
  auto r = co_await sleep_for(1h);
  (is_canceled(r) ? log.canceled : log.other)++;
  ++log.cleaned;
}
Task<> spawns_on_cancel(StopLog& log) {
  auto r = co_await sleep_for(1h);
  CHECK(is_canceled(r));
  spawn(late_victim(log));  // spawned while the runtime is already stopping
  ++log.cleaned;
}
}  // namespace

TEST_CASE_TEMPLATE("a task spawned while the runtime drains is cancelled too", B, CORING_BACKENDS) {
  StopLog log;
  bool ran = test::run_on<B>(
      [&] {
        return [](StopLog& log) -> Task<> {
          spawn(spawns_on_cancel(log));
          co_await sleep_for(1ms);
        }(log);
      },
      options_for<B>(5000ms));
  if (!ran) return;
  CHECK(log.cleaned == 2);
  CHECK(log.canceled == 1);  // the late task saw the cancellation, it was not destroyed mid-sleep
  CHECK(log.other == 0);
}

TEST_CASE_TEMPLATE("an exception escaping a spawned task is logged and the runtime carries on", B, CORING_BACKENDS) {
  int after = 0;
  StderrCapture capture;
  bool ran = test::run_on<B>([&] {
    return [](int& after) -> Task<> {
      spawn([]() -> Task<> {
        co_await sleep_for(1ms);
        throw std::runtime_error("spawned boom");
      }());
      spawn([]() -> Task<> {
        throw 42;  // not a std::exception, before any suspension
        co_return;
      }());
      co_await sleep_for(5ms);
      CHECK(spawned_count() == 0);  // both frames are gone
      spawn([](int& a) -> Task<> {
        co_await sleep_for(1ms);
        ++a;
      }(after));
      co_await wait_until_count(after, 1);
    }(after);
  });
  std::string log = capture.finish();
  if (!ran) return;
  CHECK(after == 1);
  CHECK(log.find("spawned boom") != std::string::npos);
  CHECK(log.find("unknown exception") != std::string::npos);
}

TEST_CASE_TEMPLATE("an exception thrown by a task's cleanup while draining is logged", B, CORING_BACKENDS) {
  StderrCapture capture;
  bool ran = test::run_on<B>([]() -> Task<> {
    spawn([]() -> Task<> {
      auto r = co_await sleep_for(1h);
      if (!r) throw std::runtime_error("cleanup failed");
    }());
    co_await sleep_for(1ms);
  });
  std::string log = capture.finish();
  if (!ran) return;
  CHECK(log.find("cleanup failed") != std::string::npos);
}

TEST_CASE_TEMPLATE("each block_on drains the tasks its root spawned", B, CORING_BACKENDS) {
  Runtime rt(options_for<B>());
  if (rt.backend() != B::backend) return;
  StopLog log;
  rt.block_on([](StopLog& log) -> Task<> {
    spawn(victim_sleep(log));
    co_await sleep_for(1ms);
  }(log));
  CHECK(log.canceled == 1);
  int v = rt.block_on([]() -> Task<int> {
    CHECK(spawned_count() == 0);
    co_await sleep_for(1ms);
    co_return 3;
  }());
  CHECK(v == 3);
}

TEST_CASE_TEMPLATE("a root that throws still drains its spawned tasks", B, CORING_BACKENDS) {
  StopLog log;
  {
    Runtime rt(options_for<B>());
    if (rt.backend() != B::backend) return;
    CHECK_THROWS_AS(rt.block_on([](StopLog& log) -> Task<> {
      spawn(victim_sleep(log));
      co_await sleep_for(1ms);
      throw std::runtime_error("root failed");
    }(log)),
                    std::runtime_error);
  }
  CHECK(log.canceled == 1);
  CHECK(log.cleaned == 1);
}
