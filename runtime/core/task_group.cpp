// TaskGroup: members link themselves into the group from inside their own frame, before they are spawned.
//
// spawn() runs a member's body up to its first suspension at once: the body
// links a GroupMember that lives in its frame (no allocation besides the
// frame) and pauses; then the body is spawned and resumes on the ready queue.
// The member leaves the group when its frame ends, normally or destroyed by
// the runtime's stop; the last one to leave wakes the waiter.
#include "coring/core/task_group.hpp"

#include "coring/core/spawn.hpp"
#include "coring/detail/loop_hooks.hpp"

namespace coring {
namespace detail {

GroupMember::~GroupMember() {
  if (!prev) return;
  prev->next = next;
  next->prev = prev;
  prev = next = nullptr;
  TaskGroup* g = group;
  if (!g || --g->count_ != 0) return;
  if (GroupWaitAwaiter* w = std::exchange(g->waiter_, nullptr)) w->wake();
}

namespace {
/// Links the member and pauses the body until spawn() schedules it.
struct LinkAndPause {
  TaskGroup* g;
  GroupMember* m;
  void (*link)(TaskGroup*, GroupMember*, CancelState*) noexcept;
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) noexcept {
    link(g, m, h.promise().cancel);
  }
  void await_resume() const noexcept {}
};
}  // namespace
}  // namespace detail

TaskGroup::~TaskGroup() {
  for (detail::GroupMember* m = head_.next; m != &head_;) {
    detail::GroupMember* next = m->next;
    m->group = nullptr;
    m->cancel->cancel();  // only schedules: the list is not touched meanwhile
    m = next;
  }
  // Members unlink among themselves as they end; the sentinel must not be reached again.
  head_.prev->next = head_.next;
  head_.next->prev = head_.prev;
  head_.prev = head_.next = nullptr;
}

void TaskGroup::link(detail::GroupMember* m) noexcept {
  m->group = this;
  m->next = &head_;
  m->prev = head_.prev;
  head_.prev->next = m;
  head_.prev = m;
  ++count_;
  if (cancelled_) m->cancel->cancel();
}

void TaskGroup::member_failed(std::exception_ptr e) noexcept {
  if (!error_) error_ = std::move(e);
  cancel();
}

Task<> TaskGroup::member_body(Task<> task, TaskGroup* g) {
  detail::GroupMember m;
  co_await detail::LinkAndPause{g, &m, [](TaskGroup* g, detail::GroupMember* m, detail::CancelState* cs) noexcept {
                                  m->cancel = cs;
                                  g->link(m);
                                }};
  try {
    co_await std::move(task);
  } catch (...) {
    if (m.group) m.group->member_failed(std::current_exception());
  }
}

void TaskGroup::spawn(Task<> task) {
  Task<> body = member_body(std::move(task), this);
  body.handle().resume();  // runs to LinkAndPause: the member is in the group now
  coring::spawn(std::move(body));
}

void TaskGroup::cancel() noexcept {
  cancelled_ = true;
  for (detail::GroupMember* m = head_.next; m != &head_;) {
    detail::GroupMember* next = m->next;
    m->cancel->cancel();
    m = next;
  }
}

GroupWaitAwaiter::~GroupWaitAwaiter() {
  if (g_ && g_->waiter_ == this) {  // destroyed while suspended
    g_->waiter_ = nullptr;
    cs_->disarm(this);
  }
}

void GroupWaitAwaiter::wake() noexcept {
  cs_->disarm(this);
  detail::schedule(h_);
}

bool GroupWaitAwaiter::await_ready() const noexcept { return g_->count_ == 0; }

bool GroupWaitAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  if (g_->waiter_) {
    busy_ = true;
    return false;
  }
  h_ = h;
  cs_ = cs;
  g_->waiter_ = this;
  if (cs->cancelled) {
    g_->cancel();
  } else {
    cancel_fn = [](detail::Canceller* c) {  // cancels the members; still waits for them
      static_cast<GroupWaitAwaiter*>(c)->g_->cancel();
    };
    cs->arm(this);
  }
  return true;
}

Result<void> GroupWaitAwaiter::await_resume() {
  if (busy_) return errc::device_or_resource_busy;
  if (std::exception_ptr e = std::exchange(g_->error_, nullptr)) std::rethrow_exception(e);
  if (g_->cancelled_) return errc::operation_canceled;
  return {};
}

}  // namespace coring
