// A deadline (and optionally the graceful stop) around one socket operation, without a coroutine frame or a timer when it is ready at once.
#pragma once

#include <coroutine>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/stop.hpp"
#include "coring/time/sleep.hpp"

namespace coring::http::detail {

/// Awaits the operation `A` (Stream::recv() or send_all(), whose result is a
/// Result<...>) until it completes, `d` passes (errc::timed_out) or, with
/// `stop`, the shard begins a graceful stop (errc::operation_canceled). Like
/// with_timeout(cancel_on_stop(op), d), but instead of running the operation
/// in a child task it gives the operation a cancel scope of its own by
/// pointing the awaiting coroutine's cancel state at this awaiter's for the
/// duration of the wait (a cancelled parent still cancels it, through this
/// awaiter). No frame is allocated, and an operation that is ready at once
/// (bytes already queued) arms no timer.
template <class A>
class OpDeadline : coring::detail::Canceller, coring::detail::TimerNode {
  using R = decltype(std::declval<A&>().await_resume());

 public:
  OpDeadline(A op, Duration d, bool stop) noexcept : op_(std::move(op)), after_(d.count()), stop_(stop) {}
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
    deadline = coring::detail::now_ns() + after_;
    fire = [](TimerNode* t) {
      auto* self = static_cast<OpDeadline*>(t);
      self->fired_ = true;
      self->state_.cancel();
    };
    coring::detail::timer_add(this);
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
    if (queued()) coring::detail::timer_remove(this);
    if (node_.prev) coring::detail::stop_unregister(&node_);
    if (promise_) {
      promise_->cancel = parent_;
      if (parent_) parent_->disarm(this);
      promise_ = nullptr;
    }
  }

  A op_;
  int64_t after_;
  bool stop_;
  bool fired_ = false;
  coring::detail::PromiseBase* promise_ = nullptr;
  coring::detail::CancelState* parent_ = nullptr;
  coring::detail::CancelState state_;
  coring::detail::StopNode node_;
};

template <class A>
OpDeadline<A> op_deadline(A op, Duration d, bool stop = false) noexcept {
  return OpDeadline<A>(std::move(op), d, stop);
}

}  // namespace coring::http::detail
