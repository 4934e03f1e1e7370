// FdOpAwaiter: awaits one driver operation on a file descriptor (connect, poll) with cancellation.
#pragma once

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
    if (cancel_) cancel_->disarm(this);
    if (pending_) Loop::current()->driver().abandon(conn_, *this);
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    CancelState* cs = cancel_state_of(h);
    if (cs && cs->cancelled) {
      res_ = -ECANCELED;
      return false;
    }
    complete = [](Completion* op, int32_t r) {
      auto* self = static_cast<FdOpAwaiter*>(op);
      self->pending_ = false;
      self->res_ = r;
      self->waiter_.resume();
    };
    res_ = start_(Loop::current()->driver(), *this);
    if (res_ != kPending) return false;
    pending_ = true;
    waiter_ = h;
    if (cs) {
      cancel_ = cs;
      cancel_fn = [](Canceller* k) {
        auto* self = static_cast<FdOpAwaiter*>(k);
        if (Loop::current()->driver().cancel(self->conn_, *self)) {
          self->pending_ = false;
          self->res_ = -ECANCELED;
          Loop::current()->schedule(self->waiter_);
        }
      };
      cs->arm(this);
    }
    return true;
  }
  int32_t await_resume() noexcept {
    if (cancel_) cancel_->disarm(this);
    cancel_ = nullptr;
    return res_;
  }

 private:
  Conn* conn_;
  Start start_;
  int32_t res_ = 0;
  bool pending_ = false;
  std::coroutine_handle<> waiter_;
  CancelState* cancel_ = nullptr;
};

}  // namespace coring::detail
