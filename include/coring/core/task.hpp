// Task<T>: a lazy coroutine that starts when awaited and resumes its awaiter by symmetric transfer.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "coring/core/cancel.hpp"

namespace coring {

template <class T = void>
class Task;

namespace detail {

/// Intrusive link of a detached (spawned) task into its shard's list, which
/// lets a stopping runtime cancel, drain and finally destroy what is left.
struct SpawnLink {
  SpawnLink* prev = nullptr;
  SpawnLink* next = nullptr;
  CancelState own_cancel;
  std::coroutine_handle<> self;
  bool detached = false;
  bool internal = false;  ///< runtime-internal (a cross-shard call's body), not user work

  SpawnLink() = default;
  SpawnLink(const SpawnLink&) = delete;
  ~SpawnLink() {
    if (prev) unlink();
  }
  void unlink() noexcept;  // leaves the shard's list of spawned tasks
};

/// Called by a detached task as it ends: reports an escaped exception.
void spawn_finished(SpawnLink* link, std::exception_ptr error) noexcept;

template <class T>
struct TaskResult {
  std::optional<T> value;
  template <class U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  T take() { return std::move(*value); }
};
template <>
struct TaskResult<void> {
  void return_void() noexcept {}
  void take() noexcept {}
};

struct NoSpawnLink {
  CancelState own_cancel;
};

template <class T>
struct TaskPromise final : PromiseBase, TaskResult<T>, std::conditional_t<std::is_void_v<T>, SpawnLink, NoSpawnLink> {
  std::exception_ptr error;

  // Never null while the task runs (see cancel_target_of): its own state
  // until an awaiter, spawn or a scope gives it another.
  TaskPromise() noexcept { this->cancel = &this->own_cancel; }

  Task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<TaskPromise> h) noexcept {
      TaskPromise& p = h.promise();
      if constexpr (std::is_void_v<T>) {
        if (p.detached) {
          spawn_finished(&p, p.error);
          h.destroy();
          return std::noop_coroutine();
        }
      }
      return p.continuation ? p.continuation : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  T result() {
    if (error) std::rethrow_exception(error);
    return this->take();
  }
};

}  // namespace detail

/// A lazy coroutine producing a T. Nothing runs until it is awaited (or spawned);
/// when it finishes, control transfers straight back to its awaiter, so long
/// chains of co_await use no stack. Move-only; destroying it destroys the frame.
/// Exceptions thrown inside propagate to the awaiter.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(handle_type h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return bool(h_); }
  bool done() const noexcept { return !h_ || h_.done(); }
  /// Gives up ownership of the frame (used by spawn and the combinators).
  handle_type release() noexcept { return std::exchange(h_, {}); }
  handle_type handle() const noexcept { return h_; }

  struct Awaiter {
    handle_type h;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      h.promise().continuation = parent;
      // Under a coroutine that is not a coring task, the child keeps its own state.
      if (detail::CancelState* cs = detail::cancel_state_of(parent)) h.promise().cancel = cs;
      return h;
    }
    T await_resume() { return h.promise().result(); }
  };
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
  Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise>::from_promise(*this));
}

template <class T> struct is_task : std::false_type {};
template <class T> struct is_task<Task<T>> : std::true_type {};
}  // namespace detail

}  // namespace coring
