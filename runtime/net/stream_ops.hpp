// StreamOps and ListenerOps: the backend-blind entry points of the socket operations, called by awaiters and drivers.
#pragma once

#include "runtime/net/conn.hpp"

namespace coring::detail {

struct StreamOps {
  // kIdle: not started, or resumed; kDone: finished, its task not resumed yet.
  enum SendState : uint8_t { kIdle = 0, kDone = 1, kQueued = 2, kInFlight = 3, kCancelling = 4 };

  /// A driver queued data, EOF or an error on `c`: resume its reader if any.
  static void wake_reader(Conn& c) noexcept;
  /// Every waker of a suspended awaiter calls this first: from then on its
  /// task's cancel state no longer names it.
  template <class A>
  static void disarm(A* a) noexcept {
    a->cancel_->current = nullptr;
  }
  /// Gives piece `piece` (BufferPool, `len` bytes) straight to the waiting
  /// reader, skipping the queue; the caller resumes it with resume_reader()
  /// once its own bookkeeping is done.
  static RecvAwaiter* hand_to_reader(Conn& c, uint32_t piece, uint32_t len) noexcept;
  static void resume_reader(RecvAwaiter* r) noexcept;
  /// A driver queued data, EOF or an error on `c`, which has no reader but is parked
  /// (c.parked): its park handler is due, and runs from a coming loop turn
  /// (wake_due_parked); nothing runs now.
  static void wake_parked(Conn& c) noexcept;
  /// Takes the connection out of `s` with its reference (park()).
  static Conn* take(Stream& s) noexcept;
  /// The slow path of a driver's `c.credit <= 0` test: true (and counted)
  /// when `c` holds its whole share; false when it may receive again (and a
  /// connection refused before is no longer counted as paused).
  static bool at_share(Conn& c) noexcept;
  /// The driver completed `op` (a SendAwaiter) with `res`.
  static void send_complete(Completion* op, int32_t res);
  /// send_complete() with its common case inline: every byte went, nobody
  /// queued behind.
  static void send_done(Completion* op, int32_t res) {
    auto* a = static_cast<SendAwaiter*>(op);
    Conn& c = *a->conn_;
    if (res >= 0 && a->done_ + static_cast<std::size_t>(res) == a->len_ && c.send_head == a && !a->next_) [[likely]] {
      a->done_ = a->len_;
      a->state_ = kDone;
      c.send_head = c.send_tail = nullptr;
      disarm(a);
      a->waiter_.resume();
      return;
    }
    send_complete(op, res);
  }
  /// Marks `c` closed, closes the socket and wakes or cancels every waiter.
  static void close(Conn& c) noexcept;
  static void unref(Conn* c) noexcept;
  static Conn* make(Loop* loop, int fd);

 private:
  friend class coring::SendAwaiter;
  static bool send_start(SendAwaiter& a);
  /// One try of a derived send (vectored, file): bytes sent, kPending or -errno.
  static int32_t start_other(SendAwaiter& a);
  static int32_t start_vectored(SendvAwaiter& a);
  static int32_t start_fixed(SendFixedAwaiter& a);
  /// The operation of `a` the driver holds now (the awaiter itself, or a file step).
  static Completion& in_flight_op(SendAwaiter& a) noexcept;
  static bool send_went(SendAwaiter& a, int32_t r);
  static void pass_turn(Conn& c) noexcept;
  static void remove_queued(Conn& c, SendAwaiter& a) noexcept;
};

/// Runs the handlers of the parked streams that are due (readable), in order, at most
/// RuntimeOptions::park_wakes_per_turn of them: once per loop turn.
void wake_due_parked(Loop& loop);
/// Wakes every parked stream of `loop` with Woken::stopped (the shard is stopping).
void wake_all_parked(Loop& loop);

/// socket(family, SOCK_STREAM | the driver's socket flags): -1 with errno on failure.
int open_socket(Loop& loop, int family);

struct ListenerOps {
  /// A driver queued an accepted fd: resume the waiter now.
  static void wake(ListenerState& l) noexcept;
  /// The listener closed: schedule the waiter (it holds a reference until it runs).
  static void wake_later(ListenerState& l) noexcept;
  static void unref(ListenerState* l) noexcept;
  /// Stops listening without losing a connection: the driver's accept is
  /// stopped, the sockets it still delivers and those in the kernel's backlog
  /// are queued (accept() hands them out), then the socket closes and, once
  /// the queue is empty, accept() returns operation_canceled. The Listener
  /// handle stays valid. Used by close() and a graceful stop.
  static void shut(ListenerState& l) noexcept;
  /// The driver delivers nothing more (after accept_stop): drain the backlog, close the socket.
  static void accept_stopped(ListenerState& l) noexcept;
  /// Makes a listener record for `fd` (bound, listening) on the current loop.
  static Result<Listener> open(int fd, const ListenOptions& opts, const SocketAddress* bound);
  /// Accept failed with -errno `res`; transient resource errors start a back-off.
  static void on_error(ListenerState& l, int32_t res) noexcept;
};

}  // namespace coring::detail
