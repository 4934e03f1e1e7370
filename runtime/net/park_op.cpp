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
// | due     | conn->parked; the pool's FIFO of due | its own                   | as parked                      |
// |         | records (heap_index kDue), out of    |                           |                                |
// |         | the timer heap                       |                           |                                |
// | woken   | nothing: the waker detached it from  | handed to the handler's   | nothing of the record's        |
// |         | conn->parked and the heap and put it | Stream                    |                                |
// |         | back in the pool, then called the    |                           |                                |
// |         | handler                              |                           |                                |
//
// The wakers: the loop's turn, for due records (wake_due_parked: at most
// RuntimeOptions::park_wakes_per_turn of them, in order, so a burst of wake-ups does not
// start a task each in one turn); the record's timer; the shard's stop (wake_all_parked:
// Runtime::shutdown, or the end of block_on). A record becomes due when the driver queues
// bytes, EOF or an error on a Conn with no reader (StreamOps::wake_parked), or at park()
// if they are already there. The handler runs in the loop, never inside park(), except
// while the shard is stopping.
#include "coring/net/park.hpp"

#include <algorithm>

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

// Queues `r` to be woken by a coming turn (once: later bytes find it due already).
void make_due(ParkRecord* r) noexcept {
  if (r->due()) return;
  Loop* loop = r->conn->loop;
  if (r->queued()) loop->timers().remove(r);
  loop->parks().push_due(r);
}

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
    make_due(r);
  } else if (o.timeout.count() > 0) {
    r->deadline = detail::now_ns() + o.timeout.count();
    r->fire = &fire_timeout;
    loop->timers().add(r);
  }
}

void detail::StreamOps::wake_parked(Conn& c) noexcept { make_due(c.parked); }

Conn* detail::StreamOps::take(Stream& s) noexcept { return std::exchange(s.conn_, nullptr); }

void detail::wake_due_parked(Loop& loop) {
  ParkPool& parks = loop.parks();
  for (uint32_t n = std::max<uint32_t>(loop.options().park_wakes_per_turn, 1); n > 0 && parks.has_due(); --n)
    wake(parks.pop_due(), Woken::readable);
}

void detail::wake_all_parked(Loop& loop) {
  loop.parks().clear_due();
  loop.parks().for_each_used([](ParkRecord* r) { wake(r, Woken::stopped); });
}

}  // namespace coring
