// Conn and ListenerState: the per-socket state behind Stream and Listener, shared by both backends.
#pragma once

#include <cstdint>
#include <memory>

#include "coring/detail/loop_hooks.hpp"
#include "coring/net/listener.hpp"
#include "coring/net/stream.hpp"
#include "runtime/net/small_ring.hpp"

namespace coring::detail {

class Loop;

/// A received chunk waiting in a connection's queue: buffer `id`, `len` bytes.
struct RecvItem {
  uint32_t len;
  uint16_t id;
};

/// One connected socket. Owned by its Stream plus every suspended operation
/// that refers to it (refs); freed through the driver when refs reach zero.
struct Conn {
  Loop* loop;
  int fd;
  uint32_t refs = 1;
  SmallRing<RecvItem, 2> queue;      // received, not yet handed to the user
  SendAwaiter* send_head = nullptr;  // the send in flight; the rest queue behind it
  RecvAwaiter* reader = nullptr;     // task waiting in recv() (between the two: see RecvAwaiter's fields)
  SendAwaiter* send_tail = nullptr;
  void* recv_slot = nullptr;         // io_uring: the armed multishot recv
  Completion* write_waiter = nullptr;  // epoll: op waiting for EPOLLOUT
  Conn* starved_next = nullptr;      // epoll: link in the list of connections freed after this batch
  int32_t error = 0;                 // sticky receive error (-errno)
  bool rx_end = false;       // eof, error or closed: recv() never waits again (one test on the hot path)
  bool eof = false;
  bool armed = false;        // io_uring: multishot recv in flight
  bool pausing = false;      // io_uring: cancel of the multishot requested (share reached)
  bool starved = false;      // waiting for the pool to recover
  bool readable = true;      // epoll: last read did not hit EAGAIN
  bool writable = true;      // epoll: last write did not hit EAGAIN
  bool peer_closed = false;  // epoll: EPOLLRDHUP/HUP seen; read until EOF
  bool connecting = false;   // epoll: the write waiter is a connect
  bool closed = false;

  Conn(Loop* l, int f) noexcept : loop(l), fd(f) {}
  void set_eof() noexcept { eof = rx_end = true; }
  void set_error(int32_t e) noexcept {
    error = e;
    rx_end = true;
  }
};

/// One listening socket, with the accepted sockets not yet handed out.
struct ListenerState : TimerNode {
  Loop* loop;
  int fd;
  uint32_t refs = 1;
  ListenOptions opts;
  SmallRing<int, 4> queue;
  AcceptAwaiter* waiter = nullptr;
  void* accept_slot = nullptr;  // io_uring: the armed multishot accept
  bool armed = false;
  bool pausing = false;
  bool backing_off = false;  // after EMFILE/ENFILE: waits on the timer before accepting again
  bool readable = true;      // epoll
  bool closed = false;

  ListenerState(Loop* l, int f, ListenOptions o) noexcept : loop(l), fd(f), opts(o) {}
};

}  // namespace coring::detail
