// Event on both backends: auto- and manual-reset wake-ups, FIFO order, cancel, timeout, destroying a waiter or the event.
#include "support.hpp"

#include <memory>
#include <optional>
#include <vector>

using namespace coring;
using namespace std::chrono_literals;

namespace {

Task<> wait_and_record(Event& ev, std::vector<int>& order, int id, int& failed) {
  auto r = co_await ev.wait();
  if (r) order.push_back(id);
  else {
    CHECK(r.error() == errc::operation_canceled);
    ++failed;
  }
}

// Lets the loop turn a few times, so that spawned and scheduled tasks run until they wait again.
Task<> settle() {
  for (int i = 0; i < 3; ++i) co_await sleep_for(1ms);
}

Task<Result<void>> wait_task(Event& ev) { co_return co_await ev.wait(); }

}  // namespace

TEST_CASE_TEMPLATE("event: a set event is taken at once - auto-reset clears it", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev;
    CHECK_FALSE(ev.is_set());
    ev.set();
    ev.set();  // does not count up
    CHECK(ev.is_set());
    CHECK(co_await ev.wait());
    CHECK_FALSE(ev.is_set());
    auto r = co_await with_timeout(wait_task(ev), 20ms);  // nothing left to take
    CHECK(r.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("event: auto-reset set() wakes one waiter, in FIFO order", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev;
    std::vector<int> order;
    int failed = 0;
    TaskGroup g;
    for (int i = 0; i < 3; ++i) g.spawn(wait_and_record(ev, order, i, failed));
    co_await settle();
    CHECK(ev.has_waiters());
    ev.set();
    co_await settle();
    CHECK(order == std::vector<int>{0});
    CHECK_FALSE(ev.is_set());  // the wake-up went to the waiter
    ev.set();
    ev.set();  // the second finds the last waiter
    co_await settle();
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK_FALSE(ev.has_waiters());
    co_await g.wait();
    CHECK(failed == 0);
  });
}

TEST_CASE_TEMPLATE("event: manual-reset set() wakes every waiter and stays set until reset()", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev(Event::Mode::manual_reset);
    std::vector<int> order;
    int failed = 0;
    TaskGroup g;
    for (int i = 0; i < 3; ++i) g.spawn(wait_and_record(ev, order, i, failed));
    co_await settle();
    ev.set();
    co_await g.wait();
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK(ev.is_set());
    CHECK(co_await ev.wait());
    CHECK(co_await ev.wait());
    ev.reset();
    CHECK_FALSE(ev.is_set());
    auto r = co_await with_timeout(wait_task(ev), 20ms);
    CHECK(r.error() == errc::timed_out);
  });
}

TEST_CASE_TEMPLATE("event: a cancelled wait resumes with operation_canceled and takes nothing", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev;
    CancelSource src;
    std::vector<int> order;
    int failed = 0;
    TaskGroup g;
    g.spawn([](Event& e, CancelSource& s, std::vector<int>& o, int& f) -> Task<> {
      auto r = co_await with_cancel(wait_task(e), s);
      if (r) o.push_back(0);
      else {
        CHECK(r.error() == errc::operation_canceled);
        ++f;
      }
    }(ev, src, order, failed));
    g.spawn(wait_and_record(ev, order, 1, failed));
    co_await settle();
    src.cancel();
    co_await settle();
    CHECK(failed == 1);
    ev.set();  // goes to the waiter still there
    co_await g.wait();
    CHECK(order == std::vector<int>{1});
    CHECK_FALSE(ev.is_set());
    // Cancelled before it waits: fails at once without suspending.
    CancelSource early;
    early.cancel();
    auto r = co_await with_cancel(wait_task(ev), early);
    CHECK(r.error() == errc::operation_canceled);
  });
}

TEST_CASE_TEMPLATE("event: with_timeout and cancel_on_stop wrap a wait", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev;
    auto r = co_await with_timeout(ev.wait(), 10ms);
    CHECK(r.error() == errc::timed_out);
    CHECK_FALSE(ev.has_waiters());
    ev.set();
    CHECK(co_await with_timeout(ev.wait(), 1s));
    ev.set();
    CHECK(co_await cancel_on_stop(ev.wait()));
  });
}

TEST_CASE_TEMPLATE("event: a waiter destroyed while suspended leaves the event", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ev;
    {
      auto t = wait_task(ev);
      auto h = t.handle();
      h.resume();  // suspends in the wait; the task is then destroyed without resuming
      CHECK(ev.has_waiters());
    }
    CHECK_FALSE(ev.has_waiters());
    std::vector<int> order;
    int failed = 0;
    TaskGroup g;
    g.spawn(wait_and_record(ev, order, 7, failed));
    co_await settle();
    ev.set();
    co_await g.wait();
    CHECK(order == std::vector<int>{7});
  });
}

TEST_CASE_TEMPLATE("event: destroying the event resumes its waiters with operation_canceled", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto ev = std::make_unique<Event>(Event::Mode::manual_reset);
    std::vector<int> order;
    int failed = 0;
    TaskGroup g;
    g.spawn(wait_and_record(*ev, order, 0, failed));
    g.spawn(wait_and_record(*ev, order, 1, failed));
    co_await settle();
    ev.reset();  // unique_ptr::reset: destroys the event under its two waiters
    co_await g.wait();
    CHECK(order.empty());
    CHECK(failed == 2);
  });
}

TEST_CASE_TEMPLATE("event: a ping-pong of two tasks over two events", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Event ping, pong;
    int rounds = 0;
    TaskGroup g;
    g.spawn([](Event& in, Event& out, int& n) -> Task<> {
      for (int i = 0; i < 1000; ++i) {
        CHECK(co_await in.wait());
        ++n;
        out.set();
      }
    }(ping, pong, rounds));
    for (int i = 0; i < 1000; ++i) {
      ping.set();
      CHECK(co_await pong.wait());
    }
    co_await g.wait();
    CHECK(rounds == 1000);
  });
}
