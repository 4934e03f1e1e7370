// Event: the waiter list (FIFO, linked through the awaiters), set() and the ways a wait ends early.
#include "coring/core/event.hpp"

#include "coring/detail/loop_hooks.hpp"

namespace coring {

Event::~Event() {
  // Waiters outliving the event are woken as cancelled; none of them touches it again.
  while (EventWait* w = head_) {
    unlink(w);
    w->cancel_->disarm(w);
    w->state_ = EventWait::kCancelled;
    detail::schedule(w->waiter_);
  }
}

void Event::link(EventWait* w) noexcept {
  check_owner();
  w->prev_ = tail_;
  w->next_ = nullptr;
  if (tail_) tail_->next_ = w;
  else head_ = w;
  tail_ = w;
}

void Event::unlink(EventWait* w) noexcept {
  if (w->prev_) w->prev_->next_ = w->next_;
  else head_ = w->next_;
  if (w->next_) w->next_->prev_ = w->prev_;
  else tail_ = w->prev_;
  w->prev_ = w->next_ = nullptr;
}

void Event::set() noexcept {
  check_owner();
  if (manual_) set_ = true;
  else if (!head_) {
    set_ = true;  // kept for the next wait()
    return;
  }
  // Auto-reset hands the wake-up to the first waiter; manual-reset wakes them all.
  while (EventWait* w = head_) {
    unlink(w);
    w->cancel_->disarm(w);
    w->state_ = EventWait::kWoken;
    detail::schedule(w->waiter_);
    if (!manual_) break;
  }
}

bool EventWait::suspend(std::coroutine_handle<> h, detail::CancelState* cs) noexcept {
  if (cs->cancelled) {
    state_ = kCancelled;
    return false;
  }
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = &on_cancel;
  state_ = kWaiting;
  ev_->link(this);
  cs->arm(this);
  return true;
}

void EventWait::on_cancel(detail::Canceller* c) noexcept {  // cancel() has disarmed it
  auto* self = static_cast<EventWait*>(c);
  self->ev_->unlink(self);
  self->state_ = kCancelled;
  detail::schedule(self->waiter_);
}

void EventWait::abandon() noexcept {
  ev_->unlink(this);
  cancel_->disarm(this);
  state_ = kIdle;
}

}  // namespace coring
