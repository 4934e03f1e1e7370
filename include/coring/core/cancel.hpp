// Cancellation: a per-task cancel state that the operation a task waits on registers with.
#pragma once

#include <coroutine>
#include <type_traits>

#include "coring/detail/shard_check.hpp"

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

/// A cancel state of the calling thread that nothing ever cancels.
inline CancelState* unowned_cancel_state() noexcept {
  static thread_local CancelState s;
  return &s;
}

/// Like cancel_state_of, but never null, so that hot awaiters arm without a
/// test: a running coring task always has a cancel state (its own until it
/// is awaited, spawned or run under a scope); any other coroutine gets the
/// thread's unowned one.
template <class P>
CancelState* cancel_target_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<PromiseBase, P>) {
    CancelState* cs = h.promise().cancel;
    if (!cs) __builtin_unreachable();
    return cs;
  } else {
    return unowned_cancel_state();
  }
}

}  // namespace detail

namespace detail {
/// One with_cancel scope registered with its CancelSource.
struct CancelLink {
  CancelLink* prev = nullptr;
  CancelLink* next = nullptr;
  CancelState* state = nullptr;
};
}  // namespace detail

/// Cancels, on demand, every `with_cancel(task, source)` scope that runs
/// under it: `source.cancel()` cancels the operation each of those tasks
/// waits on (it resumes with `errc::operation_canceled`) and every later one.
/// Sticky: a scope that starts after cancel() starts cancelled. Any number of
/// scopes may share one source. Single-shard, like the tasks it cancels
/// (builds without NDEBUG check it: the first shard to use it owns it);
/// it must outlive the scopes that use it.
class CancelSource {
 public:
  CancelSource() noexcept { head_.prev = head_.next = &head_; }
  CancelSource(const CancelSource&) = delete;
  CancelSource& operator=(const CancelSource&) = delete;
  ~CancelSource() {
    for (detail::CancelLink* n = head_.next; n != &head_;) {
      detail::CancelLink* next = n->next;
      n->prev = n->next = nullptr;
      n = next;
    }
  }

  void cancel() noexcept {
    check_owner();
    if (cancelled_) return;
    cancelled_ = true;
    for (detail::CancelLink* n = head_.next; n != &head_;) {
      detail::CancelLink* next = n->next;  // cancelling only schedules: the list stays as it is
      n->state->cancel();
      n = next;
    }
  }
  bool cancelled() const noexcept { return cancelled_; }

  /// Registers a scope (cancelled at once if the source already is).
  void link(detail::CancelLink* n) noexcept {
    check_owner();
    n->next = &head_;
    n->prev = head_.prev;
    head_.prev->next = n;
    head_.prev = n;
    if (cancelled_) n->state->cancel();
  }
  static void unlink(detail::CancelLink* n) noexcept {
    if (!n->prev) return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
  }

 private:
  void check_owner() noexcept { owner_.check("a CancelSource"); }
  detail::CancelLink head_;
  bool cancelled_ = false;
  detail::ShardOwner owner_;
};

}  // namespace coring
