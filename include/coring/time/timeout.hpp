// with_timeout / with_cancel: run a task under its own cancel scope, cancelled by a deadline or a source.
#pragma once

#include <exception>
#include <system_error>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/time/sleep.hpp"

namespace coring {
namespace detail {

template <class T> struct as_result { using type = Result<T>; };
template <class U> struct as_result<Result<U>> { using type = Result<U>; };
template <class T> using as_result_t = typename as_result<T>::type;

/// True for a std::system_error(operation_canceled): how a call that returns
/// neither a Result nor void reports that it gave up (an abandoned submit_to).
inline bool is_cancellation(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& x) {
    return x.code() == errc::operation_canceled;
  } catch (...) {
  }
  return false;
}

template <class T>
as_result_t<T> wrap_result(Task<T>& t) {
  if constexpr (std::is_void_v<T>) {
    t.handle().promise().result();
    return {};
  } else {
    return as_result_t<T>(t.handle().promise().result());
  }
}

/// Runs a child task with its own CancelState, linked to the parent's: a
/// cancelled parent cancels the child. `Scope` adds what else cancels it.
template <class T, class Scope>
class ScopedAwaiter : protected Canceller {
 public:
  explicit ScopedAwaiter(Task<T> t) noexcept : task_(std::move(t)) {}
  ScopedAwaiter(ScopedAwaiter&& o) noexcept : task_(std::move(o.task_)) {}
  ~ScopedAwaiter() {
    if (parent_) parent_->disarm(this);
  }

  bool await_ready() const noexcept { return task_.done(); }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    auto th = task_.handle();
    th.promise().continuation = h;
    th.promise().cancel = child();
    parent_ = cancel_state_of(h);
    cancel_fn = [](Canceller* c) { static_cast<ScopedAwaiter*>(c)->child()->cancel(); };
    if (parent_) {
      if (parent_->cancelled) child()->cancel();
      else parent_->arm(this);
    }
    static_cast<Scope*>(this)->on_start();
    return th;
  }

 protected:
  CancelState* child() noexcept { return static_cast<Scope*>(this)->scope_state(); }
  void finish() noexcept {
    if (parent_) parent_->disarm(this);
    parent_ = nullptr;
  }
  Task<T> task_;
  CancelState* parent_ = nullptr;
};

template <class T>
class TimeoutAwaiter : public ScopedAwaiter<T, TimeoutAwaiter<T>>, TimerNode {
  using Base = ScopedAwaiter<T, TimeoutAwaiter<T>>;
  friend Base;

 public:
  TimeoutAwaiter(Task<T> t, Duration d) noexcept : Base(std::move(t)), after_(d.count()) {}
  TimeoutAwaiter(TimeoutAwaiter&& o) noexcept : Base(std::move(o)), after_(o.after_) {}
  ~TimeoutAwaiter() {
    if (queued()) timer_remove(this);
  }

  as_result_t<T> await_resume() {
    if (queued()) timer_remove(this);
    this->finish();
    if (!this->task_.valid()) return errc::invalid_argument;
    if (fired_ && is_cancellation(this->task_.handle().promise().error)) return errc::timed_out;
    if constexpr (is_result<T>::value) {
      auto r = wrap_result(this->task_);
      if (fired_ && !r && r.error() == errc::operation_canceled) return errc::timed_out;
      return r;
    } else {
      auto r = wrap_result(this->task_);
      if (fired_) return errc::timed_out;
      return r;
    }
  }

 private:
  CancelState* scope_state() noexcept { return &state_; }
  void on_start() {
    deadline = now_ns() + after_;
    fire = [](TimerNode* t) {
      auto* self = static_cast<TimeoutAwaiter*>(t);
      self->fired_ = true;
      self->state_.cancel();
    };
    timer_add(this);
  }
  int64_t after_;
  CancelState state_;
  bool fired_ = false;
};

template <class T>
class CancelScopeAwaiter : public ScopedAwaiter<T, CancelScopeAwaiter<T>> {
  using Base = ScopedAwaiter<T, CancelScopeAwaiter<T>>;
  friend Base;

 public:
  CancelScopeAwaiter(Task<T> t, CancelSource& s) noexcept : Base(std::move(t)), source_(&s) {}
  CancelScopeAwaiter(CancelScopeAwaiter&& o) noexcept : Base(std::move(o)), source_(o.source_) {}
  ~CancelScopeAwaiter() { CancelSource::unlink(&link_); }
  T await_resume() {
    CancelSource::unlink(&link_);
    this->finish();
    return this->task_.handle().promise().result();
  }

 private:
  CancelState* scope_state() noexcept { return &state_; }
  void on_start() noexcept {
    link_.state = &state_;
    source_->link(&link_);
  }
  CancelSource* source_;
  CancelState state_;
  CancelLink link_;
};

template <class A>
auto awaitable_as_task(A a) -> Task<decltype(std::declval<A&&>().await_resume())> {
  co_return co_await std::move(a);
}

}  // namespace detail

/// Runs `task` with a deadline `d` from now. If it has not finished by then,
/// whatever it waits on is cancelled; the result is then `errc::timed_out`.
/// The result type is Result<T> (or T itself when T is already a Result).
/// A std::system_error(operation_canceled) the task throws after the deadline
/// (an abandoned cross-shard call) is errc::timed_out too.
/// The cancelled task always runs to its end before with_timeout returns.
template <class T>
[[nodiscard]] detail::TimeoutAwaiter<T> with_timeout(Task<T> task, Duration d) {
  return detail::TimeoutAwaiter<T>(std::move(task), d);
}
/// with_timeout for a single operation, such as `stream.recv()`.
template <class A>
  requires(!detail::is_task<A>::value)
[[nodiscard]] auto with_timeout(A op, Duration d) {
  return with_timeout(detail::awaitable_as_task(std::move(op)), d);
}

/// Runs `task` under `source`: `source.cancel()` (from any task of the same
/// shard) cancels what it waits on. Cancelling the caller cancels it too.
template <class T>
[[nodiscard]] detail::CancelScopeAwaiter<T> with_cancel(Task<T> task, CancelSource& source) {
  return detail::CancelScopeAwaiter<T>(std::move(task), source);
}

}  // namespace coring
