// Conn and ListenerState: the backend-blind part of a socket's state; each driver derives its own record from them.
#pragma once

#include <cstdint>

#include "coring/detail/loop_hooks.hpp"
#include "coring/net/listener.hpp"
#include "coring/net/stream.hpp"
#include "runtime/net/small_ring.hpp"
#include "runtime/net/unix_path.hpp"

namespace coring::detail {

class Loop;
struct ParkRecord;

/// A received piece waiting in a connection's queue: `len` bytes at `piece`
/// (BufferPool: its offset in the pool's mapping).
struct RecvItem {
  uint32_t len;
  uint32_t piece;
};

/// One connected socket: what the awaiters above the driver boundary read and
/// write. A driver allocates it as its own subtype (Driver::make_conn) and
/// frees it (Driver::release) once `refs` and `lent()` are both zero: the
/// Stream holds one reference, an awaiter that resumes later than the Stream
/// may live holds one (see docs/architecture.md, "The awaiter rule"), and
/// RecvBuffers still lent out keep it on its loop's orphan list.
struct Conn {
  Loop* loop;
  int fd;
  uint32_t refs = 1;
  SmallRing<RecvItem, 2, uint16_t> queue;  // received pieces, not yet handed to the user (at most `share`)
  SendAwaiter* send_head = nullptr;  // the send in flight; the rest queue behind it
  RecvAwaiter* reader = nullptr;     // task waiting in recv()
  ParkRecord* parked = nullptr;      // parked (park()): no reader; the driver calls StreamOps::wake_parked
  SendAwaiter* send_tail = nullptr;
  int32_t error = 0;        // sticky receive error (-errno)
  // The receive budget, in pieces (BufferPool: a received chunk, all or part
  // of a buffer): `credit` is the connection's share
  // (RuntimeOptions::buffers_per_connection) minus the pieces lent to its
  // tasks (RecvBuffers alive). Queued plus lent pieces never exceed the
  // share: a driver starts no receive for it at its share (Driver::recv_start
  // answers at once), and recv() fails with no_buffer_space. One test on the
  // hot path (credit <= 0) covers "at the share" and "refused at it": a
  // refused connection carries kPausedBias off its credit (and `paused`)
  // until StreamOps::at_share sees a buffer came back.
  static constexpr int32_t kPausedBias = 1 << 20;
  int32_t credit = 8;
  uint16_t share = 8;
  bool paused = false;      // refused at its share (counted in RuntimeStats::connections_paused)
  bool rx_end = false;      // eof, error or closed: recv() never waits again (one test on the hot path)
  bool eof = false;
  // The driver's receive is started and keeps delivering by itself (a
  // proactor's multishot receive): recv() suspends without calling it.
  bool rx_armed = false;
  bool closed = false;

  Conn(Loop* l, int f) noexcept : loop(l), fd(f) {}
  /// Buffers lent to the connection's tasks now.
  int32_t lent() const noexcept { return share - credit - (paused ? kPausedBias : 0); }
  void set_eof() noexcept { eof = rx_end = true; }
  void set_error(int32_t e) noexcept {
    error = e;
    rx_end = true;
  }
};

/// One listening socket, with the accepted sockets not yet handed out.
/// Allocated and freed by the driver (make_listener / release), like Conn.
struct ListenerState : TimerNode {
  Loop* loop;
  int fd;
  uint32_t refs = 1;
  ListenOptions opts;
  SmallRing<int, 4> queue;
  AcceptAwaiter* waiter = nullptr;
  bool backing_off = false;  // after EMFILE/ENFILE: waits on the timer before accepting again
  bool closed = false;   // closing: nothing new is accepted (close() or a graceful stop)
  bool drained = false;  // closed, the backlog taken into `queue`, the socket closed: accept() ends once `queue` is empty
  UnixPath unix_file;  // bound to a Unix-domain path: removed when the listener closes

  ListenerState(Loop* l, int f, ListenOptions o) noexcept : loop(l), fd(f), opts(o) {}
};

}  // namespace coring::detail
