// MaybeReady<T>: an awaitable holding either a value known at once or a Task<T> that computes it.
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include "coring/core/task.hpp"

namespace coring::detail {

/// What a fast-path operation returns: the value when it was available
/// without waiting (no coroutine frame is allocated then), or the Task to
/// await for it. The Task runs under the awaiting task's cancel state.
template <class T>
class [[nodiscard]] MaybeReady {
 public:
  MaybeReady(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  MaybeReady(Task<T> task) noexcept : task_(std::move(task)) {}  // NOLINT
  MaybeReady(MaybeReady&&) = default;

  bool await_ready() const noexcept { return value_.has_value(); }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    return typename Task<T>::Awaiter{task_.handle()}.await_suspend(h);
  }
  T await_resume() {
    if (value_) return std::move(*value_);
    return task_.handle().promise().result();
  }

 private:
  std::optional<T> value_;
  Task<T> task_;
};

}  // namespace coring::detail
