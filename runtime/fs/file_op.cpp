// FileAwaiter: one file operation (open, stat, read, close) started through the driver, cancellable, safe to destroy.
//
// Lifecycle of a FileAwaiter (the awaiter rule: docs/architecture.md):
//
// | state       | registered with                    | the kernel (or an offload thread) may still touch   |
// |-------------|------------------------------------|-----------------------------------------------------|
// | kIdle       | nothing (not started, or answered  | nothing                                             |
// |             | at once, or resumed)               |                                                     |
// | kInFlight   | the driver (io_uring: a slot whose | its buffer (read), statx record, path and open_how  |
// |             | CQE completes it; epoll: an        | (open), until the completion                        |
// |             | offload job); its cancel state     |                                                     |
// | kCancelling | the driver; a cancel is requested  | as kInFlight, until the completion (-ECANCELED, or  |
// |             | (its completion will resume it)    | the result if the operation won the race)           |
// | kDone       | nothing; its task is resumed now   | nothing                                             |
// |             | or scheduled                       |                                                     |
// | abandoned   | nothing once Driver::abandon       | nothing: abandon waits for the final CQE (io_uring) |
// | (frame      | returns                            | or for a running offload job to return (epoll); an  |
// | destroyed)  |                                    | fd opened meanwhile is closed by the driver         |
//
// Operations need no socket: Driver::cancel and abandon get a null Conn.
#include <cerrno>

#include "coring/fs/file.hpp"
#include "runtime/core/loop.hpp"

namespace coring {

bool FileAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  if (cs->cancelled) {
    res_ = -ECANCELED;
    return false;
  }
  detail::Loop* loop = detail::Loop::current();
  const int32_t r = loop->driver().file_start(*this);
  if (r != detail::kPending) {
    res_ = r;
    return false;
  }
  state_ = kInFlight;
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = &on_cancel;
  cs->current = this;
  return true;
}

void FileAwaiter::on_complete(detail::Completion* op, int32_t res) {
  auto* a = static_cast<FileAwaiter*>(static_cast<detail::FileOp*>(op));
  a->res_ = res;
  a->state_ = kDone;
  if (a->cancel_->current == a) a->cancel_->current = nullptr;
  a->waiter_.resume();
}

void FileAwaiter::on_cancel(detail::Canceller* k) {  // cancel() has disarmed us already
  auto* a = static_cast<FileAwaiter*>(k);
  if (a->state_ != kInFlight) return;
  if (!detail::Loop::current()->driver().cancel(nullptr, *a)) {
    a->state_ = kCancelling;  // the completion resumes us
    return;
  }
  a->res_ = -ECANCELED;
  a->state_ = kDone;
  detail::Loop::current()->schedule(a->waiter_);
}

void FileAwaiter::abandon() noexcept {
  if (cancel_ && cancel_->current == this) cancel_->current = nullptr;
  detail::Loop::current()->driver().abandon(nullptr, *this);
  state_ = kIdle;
}

Result<std::size_t> FileAwaiter::await_resume() noexcept {
  state_ = kIdle;
  if (res_ < 0) return errno_code(res_);
  return static_cast<std::size_t>(res_);
}

}  // namespace coring
