// A deadline (and optionally the graceful stop) around one socket operation, without a coroutine frame, and without touching the timer heap on most waits.
#pragma once

#include <coroutine>
#include <cstdint>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/stop.hpp"
#include "coring/time/sleep.hpp"

namespace coring::http::detail {

/// A connection's timer for one kind of wait (receives, or sends). Such waits come one after
/// another with deadlines that mostly only move later, so rather than adding a node to the
/// shard's timer heap and removing it again for every wait, the node stays queued between
/// waits: a wait records its deadline and what to cancel; when the node fires it cancels the
/// wait in progress if its deadline has passed, else queues itself again at that deadline, and
/// with no wait in progress it just leaves the heap. The heap is touched about once per timeout
/// period, or when a wait must end before the deadline already queued.
class DeadlineTimer : coring::detail::TimerNode {
 public:
  DeadlineTimer() noexcept { fire = &on_fire; }
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
  ~DeadlineTimer() {
    if (queued()) coring::detail::timer_remove(this);
  }

  /// A wait begins: `target` is cancelled at `due` (steady-clock ns) unless end() comes first.
  void begin(std::int64_t due, coring::detail::CancelState* target) {
    due_ = due;
    target_ = target;
    fired_ = false;
    if (queued()) {
      if (due >= deadline) return;  // it fires first, finds due_ later, and queues itself again
      coring::detail::timer_remove(this);
    }
    deadline = due;
    coring::detail::timer_add(this);
  }
  /// The wait is over; true if this timer cancelled it.
  bool end() noexcept {
    target_ = nullptr;
    return std::exchange(fired_, false);
  }

 private:
  static void on_fire(coring::detail::TimerNode* t) {
    auto* self = static_cast<DeadlineTimer*>(t);
    if (!self->target_) return;  // between waits: out of the heap until the next one
    if (self->due_ > self->deadline) {  // the wait began after this deadline was queued
      self->deadline = self->due_;
      coring::detail::timer_add(self);
      return;
    }
    self->fired_ = true;
    self->target_->cancel();
  }

  std::int64_t due_ = 0;
  coring::detail::CancelState* target_ = nullptr;
  bool fired_ = false;
};

/// Awaits the operation `A` (Stream::recv() or send_all(), whose result is a
/// Result<...>) until it completes, `d` passes (errc::timed_out, through `timer`) or, with
/// `stop`, the shard begins a graceful stop (errc::operation_canceled). Like
/// with_timeout(cancel_on_stop(op), d), but instead of running the operation
/// in a child task it gives the operation a cancel scope of its own by
/// pointing the awaiting coroutine's cancel state at this awaiter's for the
/// duration of the wait (a cancelled parent still cancels it, through this
/// awaiter). No frame is allocated, and an operation that is ready at once
/// (bytes already queued) reads no clock and arms no timer.
template <class A>
class OpDeadline : coring::detail::Canceller {
  using R = decltype(std::declval<A&>().await_resume());

 public:
  OpDeadline(A op, DeadlineTimer& timer, Duration d, bool stop) noexcept
      : op_(std::move(op)), timer_(timer), after_(d.count()), stop_(stop) {}
  OpDeadline(const OpDeadline&) = delete;
  ~OpDeadline() { leave(); }

  bool await_ready() noexcept { return op_.await_ready(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    coring::detail::PromiseBase& promise = h.promise();
    promise_ = &promise;
    parent_ = promise.cancel;
    promise.cancel = &state_;
    cancel_fn = [](Canceller* c) { static_cast<OpDeadline*>(c)->state_.cancel(); };
    if (parent_) {
      if (parent_->cancelled) state_.cancel();
      else parent_->arm(this);
    }
    timer_.begin(coring::detail::turn_ns() + after_, &state_);  // no clock read: see turn_ns
    timing_ = true;
    if (stop_) {
      node_.state = &state_;
      coring::detail::stop_register(&node_);  // cancels at once if the stop has begun
    }
    const bool suspended = op_.await_suspend(h);
    if (!suspended) leave();
    return suspended;
  }
  R await_resume() {
    leave();
    R r = op_.await_resume();
    if (fired_ && !r && r.error() == errc::operation_canceled) return errc::timed_out;
    return r;
  }

 private:
  /// Undoes what await_suspend set up (idempotent).
  void leave() noexcept {
    if (timing_) {
      fired_ = timer_.end();
      timing_ = false;
    }
    if (node_.prev) coring::detail::stop_unregister(&node_);
    if (promise_) {
      promise_->cancel = parent_;
      if (parent_) parent_->disarm(this);
      promise_ = nullptr;
    }
  }

  A op_;
  DeadlineTimer& timer_;
  int64_t after_;
  bool stop_;
  bool timing_ = false;
  bool fired_ = false;
  coring::detail::PromiseBase* promise_ = nullptr;
  coring::detail::CancelState* parent_ = nullptr;
  coring::detail::CancelState state_;
  coring::detail::StopNode node_;
};

template <class A>
OpDeadline<A> op_deadline(A op, DeadlineTimer& timer, Duration d, bool stop = false) noexcept {
  return OpDeadline<A>(std::move(op), timer, d, stop);
}

}  // namespace coring::http::detail
