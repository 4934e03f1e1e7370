// Listener: a bound, listening TCP socket whose accept() yields Streams.
#pragma once

#include <coroutine>
#include <string_view>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/net/address.hpp"
#include "coring/net/socket_option.hpp"
#include "coring/net/stream.hpp"
#include "coring/result.hpp"

namespace coring {
namespace detail {
struct ListenerState;
struct ListenerOps;
}  // namespace detail

struct ListenOptions {
  int backlog = 4096;
  /// SO_REUSEPORT: several listeners (one per shard) on one address, the kernel spreads connections.
  /// (Not for Unix-domain addresses.)
  bool reuse_port = false;
  /// Unix-domain path: remove a socket file already at the path (left by a
  /// previous run) before binding. Without it, bind fails with
  /// `address_in_use` while the file exists. A file that is not a socket is
  /// never removed. Either way the listener removes its own file when it
  /// closes (close(), destruction or a graceful stop), if the file is still
  /// the one it made.
  bool remove_stale_unix_path = false;
  /// Accepted sockets queued in user space before the listener stops taking
  /// more from the kernel (the rest wait in the kernel's backlog).
  uint32_t accept_queue = 256;
};

/// Awaiter of Listener::accept().
class Listener;

/// Errors of accept(): `operation_canceled` when the task was cancelled, or
/// when the listener has closed (close() or a graceful stop) and every
/// connection it had taken is handed out; `device_or_resource_busy`
/// when another task is already waiting in accept() on this listener.
class [[nodiscard]] AcceptAwaiter : detail::Canceller {
 public:
  explicit AcceptAwaiter(detail::ListenerState* l) noexcept : l_(l) {}
  AcceptAwaiter(AcceptAwaiter&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  AcceptAwaiter(const AcceptAwaiter&) = delete;
  ~AcceptAwaiter() {
    if (waiter_) abandon();
  }

  bool await_ready() noexcept;
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, detail::cancel_target_of(h));
  }
  Result<Stream> await_resume() noexcept;

 private:
  friend struct detail::ListenerOps;
  friend class Listener;
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs);
  void abandon() noexcept;  // destroyed while suspended
  detail::ListenerState* l_;
  std::coroutine_handle<> waiter_;  // set while suspended
  detail::CancelState* cancel_ = nullptr;  // armed with this awaiter while suspended
  enum : uint8_t { kOk = 0, kCancelled = 1, kBusy = 2 };
  uint8_t fail_ = kOk;
  bool held_ = false;  // holds a reference on the listener (woken by close or a cancel)
};

/// A listening socket owned by one shard. accept() never reports transient
/// errors (EMFILE, ENFILE, ECONNABORTED...): the listener backs off and keeps
/// serving; they are counted in the shard's statistics instead.
class Listener {
 public:
  Listener() = default;
  Listener(Listener&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  Listener& operator=(Listener&& o) noexcept {
    if (this != &o) {
      close();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { close(); }

  static Result<Listener> bind(const SocketAddress& addr, ListenOptions opts = {});
  static Result<Listener> bind(std::string_view addr, ListenOptions opts = {});
  /// Takes over `fd`, a listening stream socket made elsewhere: inherited
  /// from systemd (coring/net/activation.hpp) or another process (SCM_RIGHTS),
  /// or `--listen-fd`. Checks that it is a socket (`not_a_socket`) of type
  /// SOCK_STREAM that is listening (SO_ACCEPTCONN; else `invalid_argument`),
  /// and sets FD_CLOEXEC and the blocking mode this backend needs (the file
  /// status flags are shared with every other descriptor of the socket: adopt
  /// it only once the previous owner has stopped accepting on it). On success
  /// the Listener owns `fd` and closes it; on an error `fd` stays the caller's.
  /// Of `opts`, only `accept_queue` applies (the socket is already bound).
  static Result<Listener> adopt(int fd, ListenOptions opts = {});

  /// The next connection. Cancellable.
  AcceptAwaiter accept() noexcept { return AcceptAwaiter(l_); }
  SocketAddress local_address() const;
  /// The listening socket's descriptor (-1 once closed), e.g. to dup(2) it
  /// for a successor process; accept only through accept().
  int native_handle() const noexcept;
  /// Sets or reads a socket option on the listening socket (accepted sockets
  /// inherit most of them); `bad_file_descriptor` once closed.
  Result<void> set_option(SocketOption opt, int value) noexcept;
  Result<int> get_option(SocketOption opt) const noexcept;
  /// Stops listening and gives the handle up: a task waiting in accept() gets
  /// operation_canceled, and connections taken from the kernel but not handed
  /// out yet are closed. A graceful stop (Runtime::shutdown) loses none: it
  /// stops the accepting, and accept() hands out every connection already
  /// taken, then those left in the kernel's backlog, before operation_canceled.
  void close() noexcept;
  bool is_open() const noexcept { return l_ != nullptr; }

 private:
  friend struct detail::ListenerOps;
  detail::ListenerState* l_ = nullptr;
};

}  // namespace coring
