// close: Stream::close() and what closing does to the operations still waiting on the socket.
//
// | what waits when close() runs  | what close() does                          | reference taken       | the kernel may still touch          |
// |-------------------------------|--------------------------------------------|-----------------------|-------------------------------------|
// | a reader (recv)               | unregisters, disarms, schedules it: it     | one, by the reader    | nothing of the reader's             |
// |                               | resumes with operation_canceled            | (held_)               |                                     |
// | the send in flight (head)     | cancels it in the driver; epoll: done now, | one per send (held_)  | io_uring: its bytes until the CQE   |
// |                               | io_uring: kCancelling, resumed by its CQE  |                       | (the task is alive: it waits)       |
// | queued sends                  | fail with operation_canceled when the head | one per send (held_)  | nothing                             |
// |                               | is done (pass_turn)                        |                       |                                     |
// | queued received buffers       | go back to the pool                        | none                  | nothing                             |
// | the driver's receive          | Driver::close stops it and closes the fd   | none                  | pool buffers only, until it ends    |
//
// The Stream's own reference goes after close(); the Conn is freed by the
// driver when the last held_ reference is dropped.
#include <cerrno>

#include "coring/net/stream.hpp"
#include "coring/detail/shard_check.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::Loop;

void Stream::close() noexcept {
  Conn* c = std::exchange(conn_, nullptr);
  if (!c) return;
  detail::check_shard(c->loop, "a Stream (closed or destroyed)");
  detail::StreamOps::close(*c);
  detail::StreamOps::unref(c);
}

void detail::StreamOps::close(Conn& c) noexcept {
  if (c.closed) return;
  c.closed = true;
  c.rx_end = true;
  Loop* loop = c.loop;
  --loop->stats.connections_open;
  ++loop->stats.connections_closed;
  if (c.paused) --loop->stats.connections_paused;  // refused at its share, never resumed
  // Queued data is dropped: its buffers go back to the pool now.
  while (!c.queue.empty()) loop->pool().release(loop->pool().piece_buffer(c.queue.pop().piece));
  // Sends: the one in flight is cancelled in the kernel; queued ones fail
  // now (epoll) or when it completes (io_uring). Each holds a reference
  // until its task resumes: the Stream's own may go right after this.
  for (SendAwaiter* a = c.send_head; a; a = a->next_) {
    ++c.refs;
    a->held_ = true;
  }
  if (SendAwaiter* head = c.send_head) {
    if (head->state_ == kInFlight) {
      if (loop->driver().cancel(&c, in_flight_op(*head))) {
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

}  // namespace coring
