// Stream: recv and send awaiters, ordered sends, close, and their cancellation, on any backend.
#include "coring/net/stream.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::Loop;
using detail::StreamOps;

// ---------- Conn lifetime ----------

Conn* detail::StreamOps::make(Loop* loop, int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto* c = new Conn(loop, fd);
  ++loop->stats.connections_open;
  loop->driver().attach(*c);
  return c;
}

void detail::StreamOps::unref(Conn* c) noexcept {
  if (--c->refs == 0) c->loop->driver().release(c);
}

Result<Stream> Stream::adopt(int fd) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  // epoll needs non-blocking sockets; io_uring wants blocking ones (on a
  // non-blocking socket the kernel answers -EAGAIN instead of waiting itself).
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return errno_code(errno);
  const bool nonblock = loop->driver().backend() == Backend::epoll;
  if (bool(fl & O_NONBLOCK) != nonblock) ::fcntl(fd, F_SETFL, nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
  return Stream(StreamOps::make(loop, fd));
}

int Stream::native_handle() const noexcept { return conn_ ? conn_->fd : -1; }

Result<SocketAddress> Stream::peer_address() const {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(conn_->fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return errno_code(errno);
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<void> Stream::shutdown(ShutdownHow how) noexcept {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  if (::shutdown(conn_->fd, static_cast<int>(how)) < 0) return errno_code(errno);
  return {};
}

void Stream::close() noexcept {
  Conn* c = std::exchange(conn_, nullptr);
  if (!c) return;
  StreamOps::close(*c);
  StreamOps::unref(c);
}

void detail::StreamOps::close(Conn& c) noexcept {
  if (c.closed) return;
  c.closed = true;
  c.rx_end = true;
  Loop* loop = c.loop;
  --loop->stats.connections_open;
  ++loop->stats.connections_closed;
  // Queued data is dropped: its buffers go back to the pool now.
  while (!c.queue.empty()) loop->pool().release(c.queue.pop().id);
  // Sends: the one in flight is cancelled in the kernel; queued ones fail
  // now (epoll) or when it completes (io_uring). Each holds a reference
  // until its task resumes: the Stream's own may go right after this.
  for (SendAwaiter* a = c.send_head; a; a = a->next_) {
    ++c.refs;
    a->held_ = true;
  }
  if (SendAwaiter* head = c.send_head) {
    if (head->state_ == kInFlight) {
      if (loop->driver().cancel(&c, *head)) {
        head->err_ = -ECANCELED;
        head->state_ = kDone;
        disarm(head);
        loop->schedule(head->waiter_);
        pass_turn(c);
      } else {
        head->state_ = kCancelling;
      }
    }
  }
  loop->driver().close(c);
  if (RecvAwaiter* r = std::exchange(c.reader, nullptr)) {
    disarm(r);
    ++c.refs;
    r->held_ = true;
    loop->schedule(r->waiter_);
  }
}

void detail::StreamOps::wake_reader(Conn& c) noexcept {
  if (RecvAwaiter* r = c.reader) {
    c.reader = nullptr;
    disarm(r);
    r->waiter_.resume();
  }
}

RecvAwaiter* detail::StreamOps::hand_to_reader(Conn& c, uint16_t id, uint32_t len) noexcept {
  RecvAwaiter* r = c.reader;
  c.reader = nullptr;
  disarm(r);
  r->item_id_ = id;
  r->item_len_ = len;
  return r;
}

void detail::StreamOps::resume_reader(RecvAwaiter* r) noexcept { r->waiter_.resume(); }

// ---------- recv ----------
//
// A suspended reader is registered as c->reader and armed with its task's
// cancel state; no reference is taken for it (the Stream's keeps the
// connection alive while it is registered). Whoever detaches it disarms it
// and either resumes it at once or, when it resumes later (close, cancel),
// takes a reference for it (held_).

void RecvAwaiter::abandon() noexcept {
  Conn* c = conn_;  // alive: registered (the Stream's reference) or held_
  if (c->reader == this) c->reader = nullptr;
  cancel_->disarm(this);
  if (held_) StreamOps::unref(c);
}

bool RecvAwaiter::await_ready() noexcept {
  Conn* c = conn_;
  return !c || !c->queue.empty() || c->rx_end;
}

bool RecvAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  Conn* c = conn_;
  // Cancelled, or another task of this stream is already receiving.
  if (cs->cancelled || c->reader) [[unlikely]] {
    cancelled_ = true;
    return false;
  }
  // An armed io_uring recv already delivers: no call into the driver.
  if (!c->armed && c->loop->driver().recv_start(*c)) return false;
  c->reader = this;
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = [](detail::Canceller* k) {  // cancel() has disarmed us already
    auto* a = static_cast<RecvAwaiter*>(k);
    Conn* conn = a->conn_;
    if (conn->reader != a) return;
    conn->reader = nullptr;
    a->cancelled_ = true;
    ++conn->refs;
    a->held_ = true;
    conn->loop->schedule(a->waiter_);
  };
  cs->current = this;
  return true;
}

Result<RecvBuffer> RecvAwaiter::await_resume() noexcept {
  if (item_len_) [[likely]] {  // handed over while suspended (then never held_)
    waiter_ = {};
    detail::BufferPool& pool = conn_->loop->pool();
    const uint32_t len = std::exchange(item_len_, 0);
    return RecvBuffer(&pool, item_id_, pool.addr(item_id_), len);
  }
  return resume_other();
}

Result<RecvBuffer> RecvAwaiter::resume_other() noexcept {
  waiter_ = {};
  Conn* c = conn_;
  if (!c) return errc::bad_file_descriptor;
  struct Unhold {  // drops a held reference after the result is built
    RecvAwaiter* a;
    ~Unhold() {
      if (a->held_) {
        a->held_ = false;
        StreamOps::unref(a->conn_);
      }
    }
  } unhold{this};
  if (cancelled_) return errc::operation_canceled;
  if (!c->queue.empty()) {
    detail::BufferPool& pool = c->loop->pool();
    detail::RecvItem it = c->queue.pop();
    return RecvBuffer(&pool, it.id, pool.addr(it.id), it.len);
  }
  if (c->closed) return errc::operation_canceled;
  if (c->error) return errno_code(c->error);
  return RecvBuffer{};  // EOF
}

// ---------- send ----------
//
// References as for recv: an awaiter in the connection's send list needs
// none; close() takes one for each, since their completions come later.

void SendAwaiter::abandon() noexcept {
  Conn* c = conn_;  // alive while in the send list or held_
  cancel_->disarm(this);
  if (state_ == StreamOps::kQueued) {
    StreamOps::remove_queued(*c, *this);
  } else if (state_ == StreamOps::kInFlight || state_ == StreamOps::kCancelling) {
    c->loop->driver().abandon(c, *this);
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
    int32_t r = d.send(*c, a, a.data_ + a.done_, a.len_ - a.done_);
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
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = [](detail::Canceller* k) {  // cancel() has disarmed us already
    auto* a = static_cast<SendAwaiter*>(k);
    Conn& conn = *a->conn_;
    if (a->state_ == StreamOps::kQueued) {
      StreamOps::remove_queued(conn, *a);
    } else if (a->state_ == StreamOps::kInFlight) {
      if (!conn.loop->driver().cancel(&conn, *a)) {
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
  };
  cs->current = this;
  return true;
}

Result<std::size_t> SendAwaiter::await_resume() noexcept {
  if (held_) [[unlikely]] drop_hold();
  state_ = StreamOps::kIdle;  // nothing left for the destructor to do
  // (len_ == 0: never suspended, err_ and done_ are 0.)
  if (err_ && (all_ || done_ == 0)) return errno_code(err_);
  return done_;
}

}  // namespace coring
