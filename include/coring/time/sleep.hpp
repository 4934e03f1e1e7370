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
class SleepAwaiter : detail::TimerNode, detail::Canceller {
 public:
  explicit SleepAwaiter(int64_t deadline_ns) noexcept { deadline = deadline_ns; }
  SleepAwaiter(const SleepAwaiter&) = delete;
  /// Movable before it is awaited only (with_timeout(sleep_for(d), t) moves it into a task).
  SleepAwaiter(SleepAwaiter&& o) noexcept : SleepAwaiter(o.deadline) {}
  ~SleepAwaiter() {
    if (queued()) detail::timer_remove(this);
    if (cancel_) cancel_->disarm(this);
  }

  // Always reaches await_suspend, which sees the task's cancel state: a
  // cancelled task's sleep fails even when its deadline is already due.
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    cancel_ = detail::cancel_state_of(h);
    if (cancel_ && cancel_->cancelled) {
      cancelled_ = true;
      cancel_ = nullptr;
      return false;
    }
    if (deadline <= detail::now_ns()) {  // already due: resume at once with success
      cancel_ = nullptr;
      return false;
    }
    waiter_ = h;
    fire = &on_fire;
    cancel_fn = &on_cancel;
    detail::timer_add(this);
    if (cancel_) cancel_->arm(this);
    return true;
  }
  Result<void> await_resume() noexcept {
    if (cancel_) cancel_->disarm(this);
    cancel_ = nullptr;
    if (cancelled_) return errc::operation_canceled;
    return {};
  }

 private:
  static void on_fire(detail::TimerNode* t) {
    auto* self = static_cast<SleepAwaiter*>(t);
    self->waiter_.resume();
  }
  static void on_cancel(detail::Canceller* c) {
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
