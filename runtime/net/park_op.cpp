// park: park() and the three wake-ups of a parked stream (its receive, its timer, the shard's stop).
//
// Lifecycle of a ParkRecord (the awaiter rule, docs/architecture.md, with a handler in place
// of a suspended task):
//
// | state   | registered with                      | reference on the Conn     | the kernel may still touch     |
// |---------|--------------------------------------|---------------------------|--------------------------------|
// | free    | the shard's ParkPool free list       | none                      | nothing of the record's        |
// | parked  | conn->parked; the timer heap when it | its own: the Stream's,    | pool buffers only: an armed    |
// |         | has a timeout                        | taken over by park()      | receive (io_uring) queues them |
// |         |                                      |                           | on the Conn                    |
// | due     | conn->parked; the timer heap at      | its own                   | as parked                      |
// |         | deadline 0 (bytes were there at      |                           |                                |
// |         | park time: handled next turn)        |                           |                                |
// | woken   | nothing: the waker detached it from  | handed to the handler's   | nothing of the record's        |
// |         | conn->parked and the heap and put it | Stream                    |                                |
// |         | back in the pool, then called the    |                           |                                |
// |         | handler                              |                           |                                |
//
// The wakers: the driver, when it queues bytes, EOF or an error on a Conn with no reader
// (StreamOps::wake_parked, the last thing it does with the Conn); the record's timer; the
// shard's stop (wake_all_parked: Runtime::shutdown, or the end of block_on). The handler
// runs in the loop, never inside park(), except while the shard is stopping.
#include "coring/net/park.hpp"

#include "runtime/core/loop.hpp"
#include "runtime/net/park_pool.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::Loop;
using detail::ParkRecord;
using detail::StreamOps;
using detail::TimerNode;

namespace {

// Detaches `r` from its connection, its timer and the pool, then calls its handler.
void wake(ParkRecord* r, Woken why) {
  Conn* c = r->conn;
  Loop* loop = c->loop;
  c->parked = nullptr;
  if (r->queued()) loop->timers().remove(r);
  Parked p{Stream(c), why, r->context, r->cookie};
  const ParkHandler h = r->handler;
  loop->parks().put(r);
  h(std::move(p));
}

void fire_due(TimerNode* t) { wake(static_cast<ParkRecord*>(t), Woken::readable); }

void fire_timeout(TimerNode* t) {
  auto* r = static_cast<ParkRecord*>(t);
  const Conn* c = r->conn;
  wake(r, !c->queue.empty() || c->rx_end ? Woken::readable : Woken::timed_out);
}

}  // namespace

void park(Stream stream, const ParkOptions& o) {
  Conn* c = StreamOps::take(stream);
  if (!c) return;
  Loop* loop = c->loop;
  if (loop->stopping() || loop->draining()) {
    o.on_wake(Parked{Stream(c), Woken::stopped, o.context, o.cookie});
    return;
  }
  ParkRecord* r = loop->parks().take();
  r->conn = c;
  r->handler = o.on_wake;
  r->context = o.context;
  r->cookie = o.cookie;
  c->parked = r;
  // Bytes (or EOF, an error, a full share) already there: handled on the next turn. Else the
  // driver makes sure they will reach the Conn (io_uring: the receive is armed; epoll: the
  // socket was read until EAGAIN and stays registered).
  bool ready = !c->queue.empty() || c->rx_end;
  if (!ready && !c->rx_armed) ready = loop->driver().recv_start(*c);
  if (ready) {
    r->deadline = 0;
    r->fire = &fire_due;
    loop->timers().add(r);
  } else if (o.timeout.count() > 0) {
    r->deadline = detail::now_ns() + o.timeout.count();
    r->fire = &fire_timeout;
    loop->timers().add(r);
  }
}

void detail::StreamOps::wake_parked(Conn& c) noexcept { wake(c.parked, Woken::readable); }

Conn* detail::StreamOps::take(Stream& s) noexcept { return std::exchange(s.conn_, nullptr); }

void detail::wake_all_parked(Loop& loop) {
  loop.parks().for_each_used([](ParkRecord* r) { wake(r, Woken::stopped); });
}

}  // namespace coring
