// spawn_joinable(): start a Task<T> detached and get a JoinHandle to await its result or cancel it.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "coring/core/cancel.hpp"
#include "coring/core/spawn.hpp"
#include "coring/core/task.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "coring/result.hpp"

namespace coring {
namespace detail {

/// The one task waiting in JoinHandle::join().
struct JoinWaiter : Canceller {
  std::coroutine_handle<> h;
  CancelState* cs = nullptr;
};

/// What a joinable task and its handle share (one shard only).
template <class T>
struct JoinShared {
  std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> value;
  std::exception_ptr error;
  CancelState* task_cancel = nullptr;  ///< the running task's, until it ends
  JoinWaiter* waiter = nullptr;
  bool done = false;
  bool taken = false;  ///< join() has handed out the outcome
  ~JoinShared() {
    if (error && !taken) spawn_finished(nullptr, error);  // nobody joined: log it like spawn() does
  }
};

/// Marks the task done when its frame ends, normally or destroyed by the runtime's stop.
template <class T>
struct JoinFinish {
  JoinShared<T>* s;
  ~JoinFinish() {
    s->done = true;
    s->task_cancel = nullptr;
    if (JoinWaiter* w = std::exchange(s->waiter, nullptr)) {
      w->cs->disarm(w);
      schedule(w->h);
    }
  }
};

template <class T>
Task<> joinable_body(Task<T> task, std::shared_ptr<JoinShared<T>> s) {
  JoinFinish<T> finish{s.get()};
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      s->value.emplace();
    } else {
      s->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    s->error = std::current_exception();
  }
}

/// Awaiter of JoinHandle::join().
template <class T>
class [[nodiscard]] JoinAwaiter : JoinWaiter {
 public:
  explicit JoinAwaiter(std::shared_ptr<JoinShared<T>> s) noexcept : s_(std::move(s)) {}
  JoinAwaiter(JoinAwaiter&& o) noexcept : s_(std::move(o.s_)) {}
  ~JoinAwaiter() {
    if (s_ && s_->waiter == this) {  // destroyed while suspended
      s_->waiter = nullptr;
      cs->disarm(this);
    }
  }
  bool await_ready() const noexcept { return !s_ || s_->done; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    CancelState* c = cancel_target_of(h);
    if (c->cancelled || s_->waiter) {
      fail_ = c->cancelled ? errc::operation_canceled : errc::device_or_resource_busy;
      return false;
    }
    this->h = h;
    cs = c;
    cancel_fn = [](Canceller* k) {  // the joiner is cancelled: it stops waiting, the task runs on
      auto* a = static_cast<JoinAwaiter*>(k);
      a->s_->waiter = nullptr;
      a->fail_ = errc::operation_canceled;
      schedule(a->h);
    };
    s_->waiter = this;
    c->arm(this);
    return true;
  }
  Result<T> await_resume() {
    if (!s_) return errc::invalid_argument;
    if (fail_ != errc{}) return fail_;
    if (s_->taken) return errc::invalid_argument;  // joined already
    s_->taken = true;
    if (s_->error) std::rethrow_exception(s_->error);
    if (!s_->value) return errc::operation_canceled;  // destroyed by the runtime's stop before it ended
    if constexpr (std::is_void_v<T>) {
      return {};
    } else {
      return Result<T>(std::move(*s_->value));
    }
  }

 private:
  std::shared_ptr<JoinShared<T>> s_;
  errc fail_{};
};

}  // namespace detail

/// A handle on a task started with spawn_joinable(). Move-only. Dropping it
/// does not stop the task: it runs on detached, tracked by the runtime.
template <class T>
class JoinHandle {
 public:
  JoinHandle() = default;
  explicit JoinHandle(std::shared_ptr<detail::JoinShared<T>> s) noexcept : s_(std::move(s)) {}
  JoinHandle(JoinHandle&&) noexcept = default;
  JoinHandle& operator=(JoinHandle&&) noexcept = default;
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;

  /// Waits for the task to end and gives its value (`Result<void>` for a
  /// Task<>). An exception the task threw is rethrown here. Errors:
  /// `operation_canceled` when the joining task is cancelled (the task itself
  /// runs on; cancel() stops it) or when the runtime destroyed the task at
  /// stop before it ended; `device_or_resource_busy` when another task is
  /// already joining; `invalid_argument` for a second join or an empty handle.
  detail::JoinAwaiter<T> join() noexcept { return detail::JoinAwaiter<T>(s_); }
  /// Cancels the task: the operation it waits on fails with
  /// `operation_canceled`, and so do its later ones. join() still waits for it to end.
  void cancel() noexcept {
    if (s_ && s_->task_cancel) s_->task_cancel->cancel();
  }
  /// True once the task has ended.
  bool done() const noexcept { return !s_ || s_->done; }
  bool valid() const noexcept { return bool(s_); }

 private:
  std::shared_ptr<detail::JoinShared<T>> s_;
};

/// Starts `task` on the current shard like spawn() (the runtime cancels,
/// drains and destroys it at stop) and returns a handle to join or cancel it.
template <class T>
JoinHandle<T> spawn_joinable(Task<T> task) {
  auto s = std::make_shared<detail::JoinShared<T>>();
  Task<> body = detail::joinable_body(std::move(task), s);
  s->task_cancel = &body.handle().promise().own_cancel;
  spawn(std::move(body));
  return JoinHandle<T>(std::move(s));
}

}  // namespace coring
