// Graceful stop, seen from a task: has this shard begun to stop, and scopes that end when it does.
#pragma once

#include <coroutine>
#include <type_traits>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/time/timeout.hpp"

namespace coring {
namespace detail {

/// A cancel scope the shard cancels when it begins a graceful stop.
struct StopNode {
  StopNode* prev = nullptr;
  StopNode* next = nullptr;
  CancelState* state = nullptr;
};
/// Links `n` into the current shard's stop list; cancels it at once if the shard is stopping.
void stop_register(StopNode* n) noexcept;
void stop_unregister(StopNode* n) noexcept;

template <class T>
class StopScopeAwaiter : public ScopedAwaiter<T, StopScopeAwaiter<T>> {
  using Base = ScopedAwaiter<T, StopScopeAwaiter<T>>;
  friend Base;

 public:
  explicit StopScopeAwaiter(Task<T> t) noexcept : Base(std::move(t)) {}
  StopScopeAwaiter(StopScopeAwaiter&& o) noexcept : Base(std::move(o)) {}
  ~StopScopeAwaiter() {
    if (node_.prev) stop_unregister(&node_);
  }
  T await_resume() {
    if (node_.prev) stop_unregister(&node_);
    this->finish();
    return this->task_.handle().promise().result();
  }

 private:
  CancelState* scope_state() noexcept { return &state_; }
  void on_start() noexcept {
    node_.state = &state_;
    stop_register(&node_);
  }
  CancelState state_;
  StopNode node_;
};

/// cancel_on_stop for a single operation, without a child task: like OpDeadline
/// in runtime/http, it points the awaiting task's cancel state at the scope's
/// own for the duration of the wait (a cancelled parent still cancels it,
/// through this awaiter), so no coroutine frame is allocated.
template <class A>
class StopScopeOp : Canceller {
  using R = decltype(std::declval<A&>().await_resume());

 public:
  explicit StopScopeOp(A op) noexcept : op_(std::move(op)) {}
  StopScopeOp(StopScopeOp&& o) noexcept : op_(std::move(o.op_)) {}  // before it is awaited only
  StopScopeOp(const StopScopeOp&) = delete;
  ~StopScopeOp() { leave(); }

  bool await_ready() noexcept(noexcept(std::declval<A&>().await_ready())) { return op_.await_ready(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    static_assert(std::is_base_of_v<PromiseBase, P>, "cancel_on_stop(op) is for coring tasks");
    PromiseBase& promise = h.promise();
    promise_ = &promise;
    parent_ = promise.cancel;
    promise.cancel = &state_;
    cancel_fn = [](Canceller* c) { static_cast<StopScopeOp*>(c)->state_.cancel(); };
    if (parent_) {
      if (parent_->cancelled) state_.cancel();
      else parent_->arm(this);
    }
    node_.state = &state_;
    stop_register(&node_);  // cancels at once if the stop has begun
    const bool suspended = suspend_op(h);
    if (!suspended) leave();
    return suspended;
  }
  R await_resume() {
    leave();
    return op_.await_resume();
  }

 private:
  template <class P>
  bool suspend_op(std::coroutine_handle<P> h) {
    using S = decltype(op_.await_suspend(h));
    if constexpr (std::is_void_v<S>) {
      op_.await_suspend(h);
      return true;
    } else {
      static_assert(std::is_same_v<S, bool>, "cancel_on_stop(op): op's await_suspend must return void or bool");
      return op_.await_suspend(h);
    }
  }
  /// Undoes what await_suspend set up (idempotent).
  void leave() noexcept {
    if (node_.prev) stop_unregister(&node_);
    if (promise_) {
      promise_->cancel = parent_;
      if (parent_) parent_->disarm(this);
      promise_ = nullptr;
    }
  }

  A op_;
  PromiseBase* promise_ = nullptr;
  CancelState* parent_ = nullptr;
  CancelState state_;
  StopNode node_;
};

}  // namespace detail

/// True once the current shard has begun a graceful stop (Runtime::shutdown):
/// a server should finish the request in hand and then close.
bool stop_requested() noexcept;

/// Runs `task`, cancelling what it waits on if the shard begins a graceful
/// stop meanwhile (or has already begun): use it for waits that are not work
/// in progress, e.g. an idle keep-alive connection waiting for its next request.
template <class T>
[[nodiscard]] detail::StopScopeAwaiter<T> cancel_on_stop(Task<T> task) {
  return detail::StopScopeAwaiter<T>(std::move(task));
}
/// cancel_on_stop for a single operation, such as `stream.recv()`,
/// `event.wait()` or `reader.fill()`: no child task, so no coroutine frame.
/// Its await_suspend must return void or bool (an awaiter that hands over to
/// another coroutine goes through `cancel_on_stop(task)`).
template <class A>
  requires(!detail::is_task<A>::value)
[[nodiscard]] auto cancel_on_stop(A op) {
  using S = decltype(op.await_suspend(std::declval<std::coroutine_handle<detail::TaskPromise<void>>>()));
  if constexpr (std::is_void_v<S> || std::is_same_v<S, bool>) {
    return detail::StopScopeOp<A>(std::move(op));
  } else {
    return cancel_on_stop(detail::awaitable_as_task(std::move(op)));
  }
}

}  // namespace coring
