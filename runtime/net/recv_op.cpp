// recv: Stream::recv()'s awaiter, and the driver's entry points that hand it received buffers.
//
// Lifecycle of a RecvAwaiter (the awaiter rule: docs/architecture.md):
//
// | state     | registered with                | reference on the Conn        | the kernel may still touch           |
// |-----------|--------------------------------|------------------------------|--------------------------------------|
// | ready     | nothing (data, EOF or error    | the Stream's                 | pool buffers only (never the         |
// |           | queued: no suspension)         |                              | awaiter): a multishot recv fills them |
// | suspended | conn->reader, and armed in its | the Stream's (none of its    | pool buffers only                    |
// |           | task's cancel state            | own)                         |                                      |
// | woken     | nothing (the waker unregistered| the Stream's, when resumed   | nothing of the awaiter's             |
// |           | and disarmed it)               | at once; its own (held_)     |                                      |
// |           |                                | when scheduled by close() or |                                      |
// |           |                                | a cancel                     |                                      |
// | abandoned | detaches itself (reader slot,  | drops held_                  | nothing of the awaiter's             |
// | (frame    | cancel state)                  |                              |                                      |
// | destroyed)|                                |                              |                                      |
//
// A second task's recv() while one waits fails at once with
// errc::device_or_resource_busy (misuse), never operation_canceled, which
// means a cancel, a close or a graceful stop.
//
// The receive budget: each RecvBuffer handed out counts against conn->credit until
// it goes back to the pool (release_buffer); a Conn whose references are
// gone while buffers are still lent waits on its loop's orphan list until they
// are back (Loop::orphan), so a buffer kept after its Stream still finds its
// account. While the connection's tasks hold its whole share, recv() fails
// at once with errc::no_buffer_space: the driver receives nothing more for
// it (its data waits in the kernel, under TCP flow control), and the other
// connections of the shard keep the rest of the pool.
#include "coring/net/stream.hpp"

#include "coring/detail/shard_check.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::StreamOps;

void detail::StreamOps::wake_reader(Conn& c) noexcept {
  if (RecvAwaiter* r = c.reader) {
    c.reader = nullptr;
    disarm(r);
    r->waiter_.resume();
  }
}

RecvAwaiter* detail::StreamOps::hand_to_reader(Conn& c, uint32_t piece, uint32_t len) noexcept {
  RecvAwaiter* r = c.reader;
  c.reader = nullptr;
  disarm(r);
  r->item_piece_ = piece;
  r->item_len_ = len;
  return r;
}

void detail::StreamOps::resume_reader(RecvAwaiter* r) noexcept { r->waiter_.resume(); }

void RecvAwaiter::abandon() noexcept {
  Conn* c = conn_;  // alive: registered (the Stream's reference) or held_
  if (c->reader == this) c->reader = nullptr;
  cancel_->disarm(this);
  if (held_) StreamOps::unref(c);
}

bool RecvAwaiter::await_ready() noexcept {
  Conn* c = conn_;
  if (c) detail::check_shard(c->loop, "a Stream (recv)");
  return !c || !c->queue.empty() || c->rx_end;
}

bool RecvAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  Conn* c = conn_;
  if (cs->cancelled || c->reader) [[unlikely]] {
    refuse(cs);
    return false;
  }
  // An armed receive already delivers (within the share it was armed for):
  // no call into the driver. Otherwise the driver checks the share.
  // (recv_start() also answers at once when the connection is at its share:
  // resume_other() then fails the recv with no_buffer_space.)
  if (!c->rx_armed && c->loop->driver().recv_start(*c)) return false;
  c->reader = this;
  waiter_ = h;
  cancel_ = cs;
  cancel_fn = [](detail::Canceller* k) {  // cancel() has disarmed us already
    auto* a = static_cast<RecvAwaiter*>(k);
    Conn* conn = a->conn_;
    if (conn->reader != a) return;
    conn->reader = nullptr;
    a->fail_ = kCancelled;
    ++conn->refs;
    a->held_ = true;
    conn->loop->schedule(a->waiter_);
  };
  cs->current = this;
  return true;
}

void RecvAwaiter::refuse(detail::CancelState* cs) noexcept {
  Conn* c = conn_;
  if (cs->cancelled) {
    fail_ = kCancelled;
  } else if (c->reader) {
    fail_ = kBusy;
  }
}

// A piece received for `c`, lent to its task.
static RecvBuffer lend(Conn* c, uint32_t piece, uint32_t len) noexcept {
  --c->credit;
  const detail::BufferPool& pool = c->loop->pool();
  return RecvBuffer(c, pool.piece_buffer(piece), pool.piece_addr(piece), len);
}

void detail::release_buffer(Conn* c, uint16_t id) noexcept {
  check_shard(c->loop, "a RecvBuffer (released)");  // another thread would race on the pool
  ++c->credit;  // (a Conn whose Stream went first is freed by the loop: Loop::orphan)
  c->loop->pool().release(id);
}

bool detail::StreamOps::at_share(Conn& c) noexcept {
  // (Called when credit <= 0: at the share, or refused at it before.)
  RuntimeStats& st = c.loop->stats;
  if (c.paused) {
    if (c.credit + Conn::kPausedBias > 0) {  // a buffer came back since the refusal: receiving again
      c.credit += Conn::kPausedBias;
      c.paused = false;
      --st.connections_paused;
      return false;
    }
  } else {  // newly paused
    c.paused = true;
    c.credit -= Conn::kPausedBias;
    ++st.connections_paused;
  }
  ++st.recv_paused;
  return true;
}

Result<RecvBuffer> RecvAwaiter::await_resume() noexcept {
  if (item_len_) [[likely]] {  // handed over while suspended (then never held_)
    waiter_ = {};
    return lend(conn_, item_piece_, std::exchange(item_len_, 0));
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
  if (fail_ == kBusy) return errc::device_or_resource_busy;
  if (fail_ == kCancelled) return errc::operation_canceled;
  if (!c->queue.empty()) {
    detail::RecvItem it = c->queue.pop();
    return lend(c, it.piece, it.len);
  }
  if (c->closed) return errc::operation_canceled;
  if (c->error) return errno_code(c->error);
  if (!c->eof && c->lent() >= c->share) return errc::no_buffer_space;  // recv_start() found it at its share
  return RecvBuffer{};  // EOF
}

}  // namespace coring
