// sleep_for / sleep_until: cancellable timers on the shard's timer heap.
#pragma once

#include <chrono>
#include <coroutine>

#include "coring/core/cancel.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "coring/result.hpp"

namespace coring {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;

/// Awaiter returned by sleep_for / sleep_until. Resumes with success when the
/// time is reached, or with `errc::operation_canceled` if the task is cancelled.
///
/// Lifecycle (the awaiter rule of docs/architecture.md; no kernel involved):
///
/// | state     | registered with                         | who wakes it                           |
/// |-----------|-----------------------------------------|----------------------------------------|
/// | ready     | nothing (cancelled already, or due)     | -                                      |
/// | suspended | the shard's timer heap, and armed in    | the timer (disarms, resumes at once)   |
/// |           | its task's cancel state                 | or a cancel (leaves the heap, schedules)|
/// | abandoned | leaves the heap and disarms itself      | -                                      |
class SleepAwaiter : detail::TimerNode, detail::Canceller {
 public:
  explicit SleepAwaiter(int64_t deadline_ns) noexcept { deadline = deadline_ns; }
  SleepAwaiter(const SleepAwaiter&) = delete;
  /// Movable before it is awaited only (with_timeout(sleep_for(d), t) moves it into a task).
  SleepAwaiter(SleepAwaiter&& o) noexcept : SleepAwaiter(o.deadline) {}
  ~SleepAwaiter() {
    if (queued()) {  // destroyed while suspended
      detail::timer_remove(this);
      cancel_->disarm(this);
    }
  }

  // Always reaches await_suspend, which sees the task's cancel state: a
  // cancelled task's sleep fails even when its deadline is already due.
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    detail::CancelState* cs = detail::cancel_target_of(h);
    if (cs->cancelled) {
      cancelled_ = true;
      return false;
    }
    if (deadline <= detail::now_ns()) return false;  // already due: resume at once with success
    waiter_ = h;
    cancel_ = cs;
    fire = &on_fire;
    cancel_fn = &on_cancel;
    detail::timer_add(this);
    cs->arm(this);
    return true;
  }
  Result<void> await_resume() noexcept {
    if (cancelled_) return errc::operation_canceled;
    return {};
  }

 private:
  static void on_fire(detail::TimerNode* t) {  // the heap has removed it
    auto* self = static_cast<SleepAwaiter*>(t);
    self->cancel_->disarm(self);
    self->waiter_.resume();
  }
  static void on_cancel(detail::Canceller* c) {  // cancel() has disarmed it
    auto* self = static_cast<SleepAwaiter*>(c);
    self->cancelled_ = true;
    detail::timer_remove(self);
    detail::schedule(self->waiter_);
  }

  std::coroutine_handle<> waiter_;
  detail::CancelState* cancel_ = nullptr;
  bool cancelled_ = false;
};

/// Suspends the task for `d` (at least). Other tasks of the shard keep running.
inline SleepAwaiter sleep_for(Duration d) noexcept {
  return SleepAwaiter(detail::now_ns() + d.count());
}
/// Suspends the task until `t`.
inline SleepAwaiter sleep_until(Clock::time_point t) noexcept {
  return SleepAwaiter(std::chrono::duration_cast<Duration>(t.time_since_epoch()).count());
}

}  // namespace coring
