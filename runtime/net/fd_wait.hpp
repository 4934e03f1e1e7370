// fd-wait: FdOpAwaiter, one driver operation on a file descriptor (connect, poll for readable) with cancellation.
//
// Lifecycle (the awaiter rule: docs/architecture.md):
//
// | state     | registered with                    | reference                     | the kernel may still touch        |
// |-----------|------------------------------------|-------------------------------|-----------------------------------|
// | done now  | nothing (the driver answered at    | none                          | nothing                           |
// |           | once: epoll's connect, an error)   |                               |                                   |
// | pending   | the driver (io_uring: a slot whose | none: the fd's owner (the     | the operation's arguments until   |
// |           | CQE completes it; epoll: the       | connect's Stream, the signal  | its CQE (connect copies its       |
// |           | write waiter or the poll list);    | task's fd) lives in the same  | address when issued)              |
// |           | armed in its task's cancel state   | frame as the awaiter          |                                   |
// | woken     | nothing: the completion disarms it | none                          | nothing                           |
// |           | and resumes it; a cancel the driver|                               |                                   |
// |           | finished at once (epoll) schedules |                               |                                   |
// |           | it; otherwise the cancel's CQE     |                               |                                   |
// |           | (-ECANCELED or the result) wakes it|                               |                                   |
// | abandoned | Driver::abandon: never completed;  | none                          | nothing once abandon() returns    |
// |           | the driver lets the kernel finish  |                               |                                   |
#pragma once

#include <cerrno>
#include <coroutine>

#include "coring/core/cancel.hpp"
#include "runtime/core/loop.hpp"

namespace coring::detail {

/// `Start` is a callable `int32_t(Driver&, Completion&)` that starts the
/// operation; the awaiter resumes with its result (>= 0 or -errno).
template <class Start>
class FdOpAwaiter : Completion, Canceller {
 public:
  FdOpAwaiter(Conn* c, Start s) noexcept : conn_(c), start_(s) {}
  FdOpAwaiter(const FdOpAwaiter&) = delete;
  ~FdOpAwaiter() {
    if (pending_) {  // destroyed while suspended
      cancel_->disarm(this);
      Loop::current()->driver().abandon(conn_, *this);
    }
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    CancelState* cs = cancel_target_of(h);
    if (cs->cancelled) {
      res_ = -ECANCELED;
      return false;
    }
    complete = [](Completion* op, int32_t r) {  // the driver's completion wakes it
      auto* self = static_cast<FdOpAwaiter*>(op);
      self->pending_ = false;
      self->cancel_->disarm(self);
      self->res_ = r;
      self->waiter_.resume();
    };
    res_ = start_(Loop::current()->driver(), *this);
    if (res_ != kPending) return false;
    pending_ = true;
    waiter_ = h;
    cancel_ = cs;
    cancel_fn = [](Canceller* k) {  // cancel() has disarmed us already
      auto* self = static_cast<FdOpAwaiter*>(k);
      if (Loop::current()->driver().cancel(self->conn_, *self)) {  // gone now: the cancel wakes it
        self->pending_ = false;
        self->res_ = -ECANCELED;
        Loop::current()->schedule(self->waiter_);
      }  // else the operation's own completion (-ECANCELED or its result) wakes it
    };
    cs->arm(this);
    return true;
  }
  int32_t await_resume() noexcept { return res_; }

 private:
  Conn* conn_;
  Start start_;
  int32_t res_ = 0;
  bool pending_ = false;
  std::coroutine_handle<> waiter_;
  CancelState* cancel_ = nullptr;
};

}  // namespace coring::detail
