// TaskGroup: spawn tasks into a group, then wait for all of them (the first exception cancels the rest and is rethrown).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/result.hpp"

namespace coring {

class TaskGroup;

namespace detail {
/// A member's link into its group; it lives in the member's coroutine frame.
struct GroupMember {
  GroupMember* prev = nullptr;
  GroupMember* next = nullptr;
  CancelState* cancel = nullptr;  ///< the member task's
  TaskGroup* group = nullptr;     ///< null once the group is gone
  GroupMember() = default;
  GroupMember(const GroupMember&) = delete;
  ~GroupMember();  // leaves the group (the task ended or was destroyed)
};
}  // namespace detail

/// Awaiter of TaskGroup::wait().
class [[nodiscard]] GroupWaitAwaiter : detail::Canceller {
 public:
  explicit GroupWaitAwaiter(TaskGroup* g) noexcept : g_(g) {}
  GroupWaitAwaiter(GroupWaitAwaiter&& o) noexcept : g_(o.g_) {}
  ~GroupWaitAwaiter();
  bool await_ready() const noexcept;
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, detail::cancel_target_of(h));
  }
  Result<void> await_resume();

 private:
  friend class TaskGroup;
  friend struct detail::GroupMember;
  void wake() noexcept;  // the last member ended
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs);
  TaskGroup* g_;
  std::coroutine_handle<> h_;
  detail::CancelState* cs_ = nullptr;
  bool busy_ = false;
};

/// A set of tasks spawned on the current shard, awaited together:
///
///     TaskGroup g;
///     g.spawn(handle(a));
///     g.spawn(handle(b));
///     co_await g.wait();   // both have ended
///
/// Members run like spawn()'d tasks (the runtime cancels, drains and
/// destroys them at stop). The first exception a member throws cancels the
/// other members and is rethrown by wait(). Cancelling the task that waits
/// cancels the members; wait() still returns only when all have ended.
/// Destroying the group cancels the members still running and leaves them
/// detached. Single-shard; not copyable or movable.
class TaskGroup {
 public:
  TaskGroup() noexcept { head_.prev = head_.next = &head_; }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Starts `task` as a member (cancelled from the start if the group is).
  void spawn(Task<> task);
  /// Waits until no member runs. Gives `operation_canceled` when the group
  /// was cancelled, `device_or_resource_busy` when another task is already
  /// waiting; rethrows the first exception of a member (once).
  GroupWaitAwaiter wait() noexcept { return GroupWaitAwaiter(this); }
  /// Cancels every member, and those spawned later. Sticky.
  void cancel() noexcept;
  bool cancelled() const noexcept { return cancelled_; }
  /// Members still running.
  std::size_t size() const noexcept { return count_; }

 private:
  friend struct detail::GroupMember;
  friend class GroupWaitAwaiter;
  static Task<> member_body(Task<> task, TaskGroup* g);
  void link(detail::GroupMember* m) noexcept;
  void member_failed(std::exception_ptr e) noexcept;

  detail::GroupMember head_;  // sentinel of a circular list
  std::size_t count_ = 0;
  std::exception_ptr error_;
  GroupWaitAwaiter* waiter_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace coring
