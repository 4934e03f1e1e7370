// Fixed-buffer send: Stream::send_all(FixedBuffer)'s tries, each one a send (or zero-copy send) of the bytes not yet sent.
//
// Lifecycle of a SendFixedAwaiter: that of a SendAwaiter (send_op.cpp: idle,
// queued, in flight, cancelling, done, abandoned), in the same send list.
// What differs is who keeps the bytes alive: the awaiter owns the FixedBuffer,
// and each try pins it in the shard's FixedPool until the try's final
// completion (Driver::send_fixed), so:
//
// | state         | the kernel may still touch           | the buffer goes back to the pool when           |
// |---------------|--------------------------------------|-------------------------------------------------|
// | kInFlight,    | the buffer, until the send's CQE     | the awaiter resumes or is destroyed, and the    |
// | kCancelling   | (zero-copy: until its notification)  | last pin is gone (the notification, for a       |
// |               |                                      | zero-copy try)                                  |
// | abandoned     | as above: the driver cancels and     | the pin is gone: nothing of the task's frame is |
// |               | does not wait (the pool holds it)    | touched                                         |
// | closed        | as above (a close cancels the send;  | the notification, which arrives once the socket |
// |               | queued zero-copy bytes stay pinned)  | has sent or dropped the bytes                   |
#include "coring/net/stream.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring::detail {

int32_t StreamOps::start_fixed(SendFixedAwaiter& a) {
  Conn& c = *a.conn_;
  return c.loop->driver().send_fixed(c, a, a.data_ + a.done_, a.len_ - a.done_, a.buf_.index(), true);
}

}  // namespace coring::detail
