// with_timeout and cancel_on_stop in one scope (one coroutine frame instead of two) for a connection's idle keep-alive wait.
#pragma once

#include <utility>

#include "coring/core/stop.hpp"
#include "coring/time/timeout.hpp"

namespace coring::http::detail {

/// Runs a task that ends when it completes, when the deadline passes
/// (errc::timed_out) or when the shard begins a graceful stop
/// (errc::operation_canceled), like with_timeout(cancel_on_stop(t), d) but
/// with a single cancel scope, so awaiting one operation costs one frame.
template <class T>
class StopOrTimeout : public coring::detail::ScopedAwaiter<T, StopOrTimeout<T>>, coring::detail::TimerNode {
  using Base = coring::detail::ScopedAwaiter<T, StopOrTimeout<T>>;
  friend Base;

 public:
  StopOrTimeout(Task<T> t, Duration d) noexcept : Base(std::move(t)), after_(d.count()) {}
  StopOrTimeout(StopOrTimeout&& o) noexcept : Base(std::move(o)), after_(o.after_) {}
  ~StopOrTimeout() {
    if (queued()) coring::detail::timer_remove(this);
    if (node_.prev) coring::detail::stop_unregister(&node_);
  }

  T await_resume() {
    if (queued()) coring::detail::timer_remove(this);
    if (node_.prev) coring::detail::stop_unregister(&node_);
    this->finish();
    T r = this->task_.handle().promise().result();
    if (fired_ && !r && r.error() == errc::operation_canceled) return errc::timed_out;
    return r;
  }

 private:
  coring::detail::CancelState* scope_state() noexcept { return &state_; }
  void on_start() {
    deadline = coring::detail::now_ns() + after_;
    fire = [](TimerNode* t) {
      auto* self = static_cast<StopOrTimeout*>(t);
      self->fired_ = true;
      self->state_.cancel();
    };
    coring::detail::timer_add(this);
    node_.state = &state_;
    coring::detail::stop_register(&node_);  // cancels at once if the stop has begun
  }
  int64_t after_;
  coring::detail::CancelState state_;
  coring::detail::StopNode node_;
  bool fired_ = false;
};

/// Awaits `op` (e.g. stream.recv(), whose result is a Result<...>) until it completes, `d` passes or the shard stops.
template <class A>
auto stop_or_timeout(A op, Duration d) {
  return StopOrTimeout<decltype(std::declval<A&&>().await_resume())>(coring::detail::awaitable_as_task(std::move(op)), d);
}

}  // namespace coring::http::detail
