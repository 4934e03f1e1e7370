// send: Stream::send() / send_all()'s awaiter, and the per-socket queue that keeps sends in order.
//
// Lifecycle of a SendAwaiter (the awaiter rule: docs/architecture.md):
//
// | state       | registered with                 | reference on the Conn      | the kernel may still touch          |
// |-------------|---------------------------------|----------------------------|-------------------------------------|
// | kIdle       | nothing (not started, resumed,  | the Stream's               | nothing                             |
// |             | or finished without suspending) |                            |                                     |
// | kQueued     | the Conn's send list, behind    | the Stream's (none of its  | nothing (not submitted yet)         |
// |             | the head; its cancel state      | own)                       |                                     |
// | kInFlight   | head of the send list; the      | the Stream's; its own      | the caller's bytes (data_+done_ ..  |
// |             | driver (io_uring: a slot whose  | (held_) once close() ran   | len_): io_uring reads them until    |
// |             | CQE resumes it); cancel state   |                            | the send's CQE                      |
// | kCancelling | as kInFlight; a cancel is       | as kInFlight               | as kInFlight, until the CQE         |
// |             | submitted                       |                            |                                     |
// | kDone       | nothing; its task is resumed    | held_ when woken by close()| nothing                             |
// |             | now or scheduled                | (a cancel takes none: the  |                                     |
// |             |                                 | awaiter never reads the    |                                     |
// |             |                                 | Conn again)                |                                     |
// | abandoned   | leaves the list; an in-flight   | drops held_                | nothing once abandon() returns: the |
// | (frame      | send is abandoned in the driver |                            | driver cancels the send and waits   |
// | destroyed)  |                                 |                            | for the kernel to let go of the     |
// |             |                                 |                            | bytes (Driver::abandon)             |
//
// Only the head of the list is ever in flight, so bytes of two sends never
// interleave. epoll finishes most sends inside await_suspend (no suspension).
#include <cerrno>

#include "coring/net/stream.hpp"
#include "coring/detail/shard_check.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::StreamOps;

void SendAwaiter::abandon() noexcept {
  Conn* c = conn_;  // alive while in the send list or held_
  cancel_->disarm(this);
  if (state_ == StreamOps::kQueued) {
    StreamOps::remove_queued(*c, *this);
  } else if (state_ == StreamOps::kInFlight || state_ == StreamOps::kCancelling) {
    c->loop->driver().abandon(c, StreamOps::in_flight_op(*this));
    StreamOps::pass_turn(*c);
  }

  if (held_) StreamOps::unref(c);
}

void SendAwaiter::drop_hold() noexcept {
  held_ = false;
  StreamOps::unref(conn_);
}

bool detail::StreamOps::send_start(SendAwaiter& a) {
  Conn* c = a.conn_;
  Driver& d = c->loop->driver();
  for (;;) {
    if (c->closed) {
      a.err_ = -ECANCELED;
      break;
    }
    int32_t r = a.kind_ == SendAwaiter::kPlain ? d.send(*c, a, a.data_ + a.done_, a.len_ - a.done_) : start_other(a);
    if (r == detail::kPending) {
      a.state_ = kInFlight;
      return true;
    }
    if (r < 0) {
      a.err_ = r;
      break;
    }
    a.done_ += static_cast<std::size_t>(r);
    if (!a.all_ || a.done_ == a.len_) break;
  }
  a.state_ = kDone;
  return false;
}

// A synchronous send result `r` for `a`: true if `a` is now in flight again
// (the rest of a send_all), false when it is finished (done_ or err_ set).
bool detail::StreamOps::send_went(SendAwaiter& a, int32_t r) {
  if (r >= 0) [[likely]] {
    a.done_ += static_cast<std::size_t>(r);
    if (a.done_ == a.len_ || !a.all_) {
      a.state_ = kDone;
      return false;
    }
    return send_start(a);
  }
  a.err_ = r;
  a.state_ = kDone;
  return false;
}

void detail::StreamOps::send_complete(Completion* op, int32_t res) {
  auto* a = static_cast<SendAwaiter*>(op);
  if (res == -EAGAIN && a->state_ == kInFlight) {  // socket writable again (epoll) or a spurious retry
    if (send_start(*a)) return;
    res = 0;
  }
  if (res < 0) {
    a->err_ = res;
  } else {
    a->done_ += static_cast<std::size_t>(res);
    if (a->all_ && a->done_ < a->len_) {
      if (a->state_ == kInFlight && send_start(*a)) return;
      if (a->state_ == kCancelling) a->err_ = -ECANCELED;  // part went out before the cancel won
    }
  }
  a->state_ = kDone;
  Conn& c = *a->conn_;
  if (c.send_head == a && !a->next_) {
    c.send_head = c.send_tail = nullptr;  // nobody queued behind: the common case
  } else {
    pass_turn(c);
  }
  disarm(a);
  a->waiter_.resume();
}

// The head send finished: start the next queued one (which may finish at once on epoll).
void detail::StreamOps::pass_turn(Conn& c) noexcept {
  SendAwaiter* head = c.send_head;
  c.send_head = head ? head->next_ : nullptr;
  if (!c.send_head) c.send_tail = nullptr;
  while (SendAwaiter* n = c.send_head) {
    if (n->state_ == kQueued && send_start(*n)) return;
    n->state_ = kDone;
    c.send_head = n->next_;
    if (!c.send_head) c.send_tail = nullptr;
    disarm(n);
    c.loop->schedule(n->waiter_);
  }
}

void detail::StreamOps::remove_queued(Conn& c, SendAwaiter& a) noexcept {
  SendAwaiter* prev = nullptr;
  for (SendAwaiter* p = c.send_head; p; prev = p, p = p->next_) {
    if (p != &a) continue;
    if (prev) prev->next_ = p->next_;
    else c.send_head = p->next_;
    if (c.send_tail == p) c.send_tail = prev;
    return;
  }
}

bool SendAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  Conn* c = conn_;
  if (!c || c->closed) {
    err_ = -EBADF;
    return false;
  }
  detail::check_shard(c->loop, "a Stream (send)");
  if (cs->cancelled) {
    err_ = -ECANCELED;
    return false;
  }
  if (c->send_head) {  // another send is in flight: wait for our turn
    c->send_tail->next_ = this;
    c->send_tail = this;
    state_ = StreamOps::kQueued;
  } else {
    c->send_head = c->send_tail = this;
    // The first attempt, inline: io_uring queues an SQE (kPending); epoll
    // usually sends everything at once, and then the task does not suspend.
    const int32_t r = c->loop->driver().send(*c, *this, data_, len_);
    if (r == detail::kPending) {
      state_ = StreamOps::kInFlight;
    } else if (!StreamOps::send_went(*this, r)) {
      c->send_head = c->send_tail = nullptr;
      return false;
    }
  }
  arm(h, cs);
  return true;
}

// The derived awaiters (vectored, file): as suspend(), but every try, the
// first included, goes through send_start() and its start_other().
bool SendAwaiter::suspend_other(std::coroutine_handle<> h, detail::CancelState* cs) {
  Conn* c = conn_;
  if (!c || c->closed) {
    err_ = -EBADF;
    return false;
  }
  if (cs->cancelled) {
    err_ = -ECANCELED;
    return false;
  }
  if (c->send_head) {
    c->send_tail->next_ = this;
    c->send_tail = this;
    state_ = StreamOps::kQueued;
  } else {
    c->send_head = c->send_tail = this;
    if (!StreamOps::send_start(*this)) {
      c->send_head = c->send_tail = nullptr;
      return false;
    }
  }
  arm(h, cs);
  return true;
}

void SendAwaiter::arm(std::coroutine_handle<> h, detail::CancelState* cs) noexcept {
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = &cancel_send;
  cs->current = this;
}

void SendAwaiter::cancel_send(detail::Canceller* k) {  // cancel() has disarmed us already
  auto* a = static_cast<SendAwaiter*>(k);
  Conn& conn = *a->conn_;
  if (a->state_ == StreamOps::kQueued) {
    StreamOps::remove_queued(conn, *a);
  } else if (a->state_ == StreamOps::kInFlight) {
    if (!conn.loop->driver().cancel(&conn, StreamOps::in_flight_op(*a))) {
      a->state_ = StreamOps::kCancelling;  // the kernel's completion will resume us
      return;
    }
    StreamOps::pass_turn(conn);
  } else {
    return;
  }
  a->err_ = -ECANCELED;
  a->state_ = StreamOps::kDone;
  conn.loop->schedule(a->waiter_);
}

Result<std::size_t> SendAwaiter::await_resume() noexcept {
  if (held_) [[unlikely]] drop_hold();
  state_ = StreamOps::kIdle;  // nothing left for the destructor to do
  // (len_ == 0: never suspended, err_ and done_ are 0.)
  if (err_ && (all_ || done_ == 0)) return errno_code(err_);
  return done_;
}

}  // namespace coring
