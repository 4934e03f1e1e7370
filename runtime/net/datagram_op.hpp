// datagram op: DatagramState (a UDP socket's record) and DatagramOp, one recvmsg or sendmsg through the driver.
//
// Lifecycle of a DatagramOp (the awaiter rule: docs/architecture.md):
//
// | state     | registered with                     | reference on the state      | the kernel may still touch         |
// |-----------|-------------------------------------|-----------------------------|------------------------------------|
// | done now  | nothing (the driver answered at     | none                        | nothing                            |
// |           | once: epoll had data or room, an    |                             |                                    |
// |           | error; closed, busy or cancelled)   |                             |                                    |
// | pending   | the state's receiver or sender      | one (held_), so a close and | the msghdr, the caller's buffer    |
// |           | slot, the driver (io_uring: a slot; | a completion after the      | and the address until its CQE      |
// |           | epoll: the read or write waiter),   | Datagram is gone still find | (io_uring); nothing on epoll       |
// |           | and its task's cancel state         | the socket                  |                                    |
// | woken     | nothing: the completion, a cancel   | dropped by the waker        | nothing                            |
// |           | the driver finished at once (epoll),|                             |                                    |
// |           | or close() unregisters and disarms  |                             |                                    |
// |           | it (io_uring's cancel: its CQE)     |                             |                                    |
// | abandoned | Driver::abandon (returns once the   | dropped                     | nothing once abandon() returns     |
// | (frame    | kernel is done with the memory),    |                             |                                    |
// | destroyed)| then unregisters itself             |                             |                                    |
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <coroutine>

#include "coring/core/cancel.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/conn.hpp"

namespace coring::detail {

class DatagramOp;

/// A UDP socket: the driver's record (a Conn, never received into by the
/// stream path) and the operation in flight each way. Freed with its last
/// reference: the Datagram's, and one per pending operation.
struct DatagramState {
  Conn* conn;
  DatagramOp* receiver = nullptr;
  DatagramOp* sender = nullptr;
  uint32_t refs = 1;
  bool closed = false;

  explicit DatagramState(Conn* c) noexcept : conn(c) {}
  void unref() noexcept;  // (datagram.cpp)
};

/// Awaits one recvmsg (receive) or sendmsg (send) on `st`'s socket; resumes
/// with the driver's result (bytes or -errno).
class DatagramOp : Completion, Canceller {
 public:
  DatagramOp(DatagramState* st, msghdr* msg, bool send) noexcept : st_(st), msg_(msg), send_(send) {}
  DatagramOp(const DatagramOp&) = delete;
  ~DatagramOp() {
    if (!pending_) return;  // destroyed while suspended
    cancel_->disarm(this);
    st_->conn->loop->driver().abandon(st_->conn, *this);
    finish(-ECANCELED);
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, cancel_target_of(h));
  }
  int32_t await_resume() const noexcept { return res_; }

  /// close(): the operation ends with operation_canceled.
  void cancel_by_close() noexcept {
    cancel_->disarm(this);
    cancel_now();
  }

 private:
  DatagramOp*& slot() noexcept { return send_ ? st_->sender : st_->receiver; }
  bool suspend(std::coroutine_handle<> h, CancelState* cs) {
    if (st_->closed) {
      res_ = -EBADF;
      return false;
    }
    if (cs->cancelled) {
      res_ = -ECANCELED;
      return false;
    }
    if (slot()) {
      res_ = -EBUSY;
      return false;
    }
    complete = [](Completion* op, int32_t r) {  // the driver's completion
      auto* self = static_cast<DatagramOp*>(op);
      self->cancel_->disarm(self);
      self->finish(r);
      self->waiter_.resume();
    };
    Driver& d = st_->conn->loop->driver();
    res_ = send_ ? d.datagram_send(*st_->conn, *this, msg_) : d.datagram_recv(*st_->conn, *this, msg_);
    if (res_ != kPending) return false;
    pending_ = true;
    slot() = this;
    ++st_->refs;
    waiter_ = h;
    cancel_ = cs;
    cancel_fn = [](Canceller* k) { static_cast<DatagramOp*>(k)->cancel_now(); };  // disarmed already
    cs->arm(this);
    return true;
  }
  void cancel_now() noexcept {
    Loop* loop = st_->conn->loop;
    if (loop->driver().cancel(st_->conn, *this)) {  // gone now (epoll): resumed through the ready queue
      finish(-ECANCELED);
      loop->schedule(waiter_);
    }  // else (io_uring) its CQE, -ECANCELED or the result, completes it
  }
  void finish(int32_t r) noexcept {  // unregisters; st_ may be freed here
    pending_ = false;
    res_ = r;
    slot() = nullptr;
    st_->unref();
  }

  DatagramState* st_;
  msghdr* msg_;
  std::coroutine_handle<> waiter_;
  CancelState* cancel_ = nullptr;
  int32_t res_ = 0;
  bool send_;
  bool pending_ = false;
};

}  // namespace coring::detail
