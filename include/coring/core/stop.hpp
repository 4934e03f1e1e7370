// Graceful stop, seen from a task: has this shard begun to stop, and scopes that end when it does.
#pragma once

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
/// cancel_on_stop for a single operation, such as `stream.recv()`.
template <class A>
  requires(!detail::is_task<A>::value)
[[nodiscard]] auto cancel_on_stop(A op) {
  return cancel_on_stop(detail::awaitable_as_task(std::move(op)));
}

}  // namespace coring
