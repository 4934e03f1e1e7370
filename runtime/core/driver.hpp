// Driver: the one narrow boundary between the loop and the kernel, implemented by io_uring and epoll.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "coring/detail/completion.hpp"
#include "coring/detail/file_op.hpp"
#include "coring/net/address.hpp"
#include "coring/net/listener.hpp"
#include "coring/runtime.hpp"

namespace coring::detail {

struct Conn;
struct ListenerState;
class Loop;

/// How Stream::send_file moves a file's bytes on this backend.
enum class FileSendMode : uint8_t { sendfile, splice, read_send };

/// Everything above this interface (tasks, timers, streams) is backend-blind.
/// Start functions return a result at once (>= 0 or -errno) when the operation
/// completed synchronously, or kPending when the driver will call the
/// Completion later, from wait().
class Driver {
 public:
  virtual ~Driver() = default;
  virtual Backend backend() const noexcept = 0;
  virtual std::string describe() const = 0;
  /// Optional features, in use or why not (Runtime::features); none on epoll.
  virtual std::vector<BackendFeature> features() const { return {}; }
  /// Flags for socket(2) and accept4(2) on this backend: SOCK_CLOEXEC, plus
  /// SOCK_NONBLOCK for a reactor (a proactor wants blocking sockets: on a
  /// non-blocking one the kernel answers -EAGAIN instead of waiting itself).
  virtual int socket_flags() const noexcept = 0;

  /// Submits what the loop produced since the last call (one syscall on
  /// io_uring), waits up to `timeout_ns` (-1: no limit, 0: just poll) and
  /// dispatches completions, resuming the tasks that wait on them.
  virtual void wait(int64_t timeout_ns) = 0;

  // --- streams ---
  /// Allocates the driver's own record for the connected socket `fd` (a
  /// subtype of Conn holding this backend's per-socket fields) and registers
  /// it; freed by release() once its references are gone.
  virtual Conn* make_conn(Loop& loop, int fd) = 0;
  /// Ensures received data will reach `c`. True when recv() can be answered
  /// at once: data, EOF or an error was queued on `c` synchronously, or `c`
  /// already holds its share of buffers (queued plus lent; StreamOps::at_share),
  /// so nothing is received for it and recv() fails with no_buffer_space.
  virtual bool recv_start(Conn& c) = 0;
  /// `op` is a SendAwaiter: a pending send completes through StreamOps::send_complete.
  virtual int32_t send(Conn& c, Completion& op, const std::byte* p, std::size_t n) = 0;
  /// A gathered send (sendmsg of `m`, MSG_NOSIGNAL), answered and completed as
  /// send(). The kernel may read `m`, its iovecs and their bytes until the
  /// completion.
  virtual int32_t sendmsg(Conn& c, Completion& op, const ::msghdr* m) = 0;
  /// A send of `n` bytes at `p`, inside buffer `index` of the shard's
  /// FixedPool, answered and completed as send(). io_uring: from registered
  /// memory, zero-copy (IORING_OP_SEND_ZC) when `zero_copy` allows it, the
  /// size reaches RuntimeOptions::zero_copy_threshold and the socket's earlier
  /// zero-copy sends were not copied; the driver pins the buffer
  /// (FixedPool::pin) until the kernel lets go, so the send needs no wait
  /// when abandoned. epoll: send().
  virtual int32_t send_fixed(Conn& c, Completion& op, const std::byte* p, std::size_t n, uint32_t index,
                             bool zero_copy) {
    (void)index;
    (void)zero_copy;
    return send(c, op, p, n);
  }
  /// Registers the FixedPool's buffers for the fixed-buffer opcodes. False,
  /// with `why` set, leaves them plain memory.
  virtual bool register_fixed(const ::iovec* iov, unsigned n, std::string& why) {
    (void)iov;
    (void)n;
    why = "epoll: plain memory";
    return false;
  }
  /// The loop is being destroyed: wait (bounded) for completions that still
  /// name per-socket records, such as zero-copy notifications.
  virtual void quiesce() noexcept {}
  virtual int32_t connect(Conn& c, Completion& op, const SocketAddress& addr) = 0;
  /// One datagram received into `msg`'s buffers, with its source address
  /// (bytes, or -errno); `msg` stays valid until the completion. One at a
  /// time per socket.
  virtual int32_t datagram_recv(Conn& c, Completion& op, msghdr* msg) = 0;
  /// One datagram sent from `msg` (to msg_name, or the connected peer); one
  /// at a time per socket.
  virtual int32_t datagram_send(Conn& c, Completion& op, const msghdr* msg) = 0;
  /// Cancels a started operation. Returns true if it is gone now (the caller
  /// completes it); false if its completion (possibly -ECANCELED) will come.
  virtual bool cancel(Conn* c, Completion& op) = 0;
  /// The operation's owner is being destroyed: it must never be completed,
  /// and once this returns the kernel no longer reads or writes memory the
  /// owner lent it (a send's bytes), on every rung of the backend's features.
  virtual void abandon(Conn* c, Completion& op) noexcept = 0;
  /// Stops receiving and closes the socket; in-flight kernel work is cancelled.
  virtual void close(Conn& c) noexcept = 0;
  /// The connection's memory may be freed once the driver no longer refers to it.
  virtual void release(Conn* c) noexcept = 0;

  // --- listeners ---
  /// Allocates and registers the driver's record for listening socket `fd`.
  virtual ListenerState* make_listener(Loop& loop, int fd, const ListenOptions& opts) = 0;
  /// Ensures accepted sockets will reach `l`; true if one was queued synchronously.
  virtual bool accept_start(ListenerState& l) = 0;
  /// Stops accepting on `l` (it is closing). True when nothing more will be
  /// delivered to it; false when an accept is still in the kernel: its late
  /// completions still queue sockets on `l`, and the driver calls
  /// ListenerOps::accept_stopped(l) after the last one.
  virtual bool accept_stop(ListenerState& l) noexcept = 0;
  /// Closes the listening socket (accept_stop() has finished, the backlog is drained).
  virtual void listener_close(ListenerState& l) noexcept = 0;
  /// The listener's memory may be freed once the driver no longer refers to it.
  virtual void release(ListenerState* l) noexcept = 0;

  // --- files ---
  /// Starts a file operation (FileOp::Code); cancel() and abandon() take it
  /// with a null Conn. io_uring: its opcodes; epoll: the offload pool.
  virtual int32_t file_start(FileOp& op) = 0;
  /// How send_file moves bytes here (docs/bytes.md says why).
  virtual FileSendMode file_send_mode() const noexcept = 0;
  /// sendfile(2) of `n` bytes of `fd` at `off` to the socket, answered and
  /// completed as send() (0: the file ended). Only for FileSendMode::sendfile.
  virtual int32_t send_file(Conn& c, Completion& op, int fd, uint64_t off, std::size_t n) = 0;

  // --- misc ---
  /// Completes `op` when `fd` is readable.
  virtual int32_t poll_readable(int fd, Completion& op) = 0;
  /// Wakes another shard's loop from this one's thread, if the backend has a
  /// way to (io_uring: IORING_OP_MSG_RING, sent with this turn's submit).
  /// False: the caller writes the target's eventfd instead.
  virtual bool wake(Loop& target) noexcept {
    (void)target;
    return false;
  }
};

}  // namespace coring::detail
