// accept: Listener::accept()'s awaiter, fed by the driver's (multishot) accept through the listener's queue.
//
// Lifecycle of an AcceptAwaiter (the awaiter rule: docs/architecture.md):
//
// | state     | registered with                   | reference on the listener     | the kernel may still touch   |
// |-----------|-----------------------------------|-------------------------------|------------------------------|
// | ready     | nothing (a socket is queued, or   | the Listener's                | nothing of the awaiter's     |
// |           | the listener is closed)           |                               |                              |
// | suspended | l->waiter, and armed in its task's| the Listener's (none of its   | nothing of the awaiter's:    |
// |           | cancel state                      | own)                          | accepted fds go to l->queue  |
// | woken     | nothing (the waker unregistered   | the Listener's when resumed   | nothing                      |
// |           | and disarmed it)                  | at once (an fd arrived); its  |                              |
// |           |                                   | own (held_) when scheduled by |                              |
// |           |                                   | close, a graceful stop or a   |                              |
// |           |                                   | cancel                        |                              |
// | abandoned | detaches itself                   | drops held_                   | nothing                      |
#include <unistd.h>

#include "coring/net/listener.hpp"
#include "coring/detail/shard_check.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::ListenerOps;
using detail::ListenerState;

void detail::ListenerOps::wake(ListenerState& l) noexcept {
  if (AcceptAwaiter* w = l.waiter) {
    l.waiter = nullptr;
    w->cancel_->disarm(w);
    w->waiter_.resume();
  }
}

void detail::ListenerOps::wake_later(ListenerState& l) noexcept {
  if (AcceptAwaiter* w = std::exchange(l.waiter, nullptr)) {
    w->cancel_->disarm(w);
    ++l.refs;
    w->held_ = true;
    l.loop->schedule(w->waiter_);
  }
}

void AcceptAwaiter::abandon() noexcept {
  ListenerState* l = l_;  // alive: registered (the Listener's reference) or held_
  if (l->waiter == this) l->waiter = nullptr;
  cancel_->disarm(this);
  if (held_) ListenerOps::unref(l);
}

bool AcceptAwaiter::await_ready() noexcept {
  if (l_) detail::check_shard(l_->loop, "a Listener (accept)");
  return !l_ || !l_->queue.empty() || l_->drained;
}

bool AcceptAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  ListenerState* l = l_;
  if (cs->cancelled || l->waiter) {
    fail_ = cs->cancelled ? kCancelled : kBusy;
    return false;
  }
  if (!l->backing_off && l->loop->driver().accept_start(*l)) return false;
  l->waiter = this;
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = [](detail::Canceller* k) {  // cancel() has disarmed us already
    auto* a = static_cast<AcceptAwaiter*>(k);
    ListenerState* ls = a->l_;
    if (ls->waiter != a) return;
    ls->waiter = nullptr;
    a->fail_ = kCancelled;
    ++ls->refs;
    a->held_ = true;
    ls->loop->schedule(a->waiter_);
  };
  cs->current = this;
  return true;
}

Result<Stream> AcceptAwaiter::await_resume() noexcept {
  waiter_ = {};
  ListenerState* l = l_;
  if (!l) return errc::bad_file_descriptor;
  struct Unhold {  // drops a held reference after the result is built
    AcceptAwaiter* a;
    ~Unhold() {
      if (a->held_) {
        a->held_ = false;
        ListenerOps::unref(a->l_);
      }
    }
  } unhold{this};
  if (fail_ == kBusy) return errc::device_or_resource_busy;
  if (fail_ == kCancelled) return errc::operation_canceled;
  // A closing listener still hands out what it took from the kernel, then ends.
  if (l->queue.empty()) return l->drained ? errc::operation_canceled : errc::resource_unavailable_try_again;
  int fd = l->queue.pop();
  ++l->loop->stats.connections_accepted;
  return Stream(detail::StreamOps::make(l->loop, fd));
}

}  // namespace coring
