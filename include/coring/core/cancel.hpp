// Cancellation: a per-task cancel state that the operation a task waits on registers with.
#pragma once

#include <coroutine>
#include <type_traits>

namespace coring {
namespace detail {

/// Something a task is suspended on that knows how to cancel itself (an I/O
/// operation, a timer, a combinator over child tasks).
struct Canceller {
  struct NoInit {};
  Canceller() noexcept : cancel_fn(nullptr) {}
  /// For hot awaiters that set cancel_fn before they arm (saves a store).
  explicit Canceller(NoInit) noexcept {}
  void (*cancel_fn)(Canceller*);
};

/// Cancellation state shared by a task and the tasks it co_awaits directly.
/// Sticky: once cancelled, every later operation of the task fails at once
/// with `errc::operation_canceled`. Single-threaded: owned by one shard.
struct CancelState {
  bool cancelled = false;
  Canceller* current = nullptr;  ///< what the task is suspended on, if cancellable

  void cancel() noexcept {
    if (cancelled) return;
    cancelled = true;
    if (Canceller* c = current) {
      current = nullptr;
      c->cancel_fn(c);
    }
  }
  /// Registers `c` as the operation to cancel (callers check `cancelled` first).
  void arm(Canceller* c) noexcept { current = c; }
  void disarm(Canceller* c) noexcept {
    if (current == c) current = nullptr;
  }
};

/// Base of every coring promise: where the task resumes and its cancel state.
struct PromiseBase {
  std::coroutine_handle<> continuation;
  CancelState* cancel = nullptr;
};

/// The cancel state of the coroutine behind `h`, or null when it is not a coring task.
template <class P>
CancelState* cancel_state_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<PromiseBase, P>) {
    return h.promise().cancel;
  } else {
    return nullptr;
  }
}

}  // namespace detail

/// Owns a cancellation state. `co_await with_cancel(task, source)` runs a task
/// under it; `source.cancel()` cancels the operation that task waits on, which
/// resumes with `errc::operation_canceled`, and every later one.
/// Limitation: a source governs one with_cancel scope at a time; sharing it
/// between concurrent scopes cancels only the one that waited last.
class CancelSource {
 public:
  CancelSource() = default;
  CancelSource(const CancelSource&) = delete;
  CancelSource& operator=(const CancelSource&) = delete;
  void cancel() noexcept { state_.cancel(); }
  bool cancelled() const noexcept { return state_.cancelled; }
  detail::CancelState* state() noexcept { return &state_; }

 private:
  detail::CancelState state_;
};

}  // namespace coring
