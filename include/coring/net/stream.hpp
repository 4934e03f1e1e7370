// Stream: a connected TCP socket with recv from the shard's buffer pool and ordered sends.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <coroutine>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/detail/completion.hpp"
#include "coring/detail/file_op.hpp"
#include "coring/net/address.hpp"
#include "coring/net/buffer.hpp"
#include "coring/net/fixed_buffer.hpp"
#include "coring/net/socket_option.hpp"
#include "coring/result.hpp"

namespace coring {
class File;
namespace detail {
struct Conn;
struct StreamOps;
struct SendFileOps;
}  // namespace detail

/// Awaiter of Stream::recv(): the next bytes that arrived, an empty buffer at
/// EOF, or an error. Never waits when data is already queued. Errors:
/// `operation_canceled` when the task was cancelled or the stream closed;
/// `device_or_resource_busy` when another task of the stream is already
/// waiting in recv() (one reader at a time); `no_buffer_space` when the
/// stream's tasks hold its whole share of receive buffers (release one, or
/// copy what you keep); the socket's own errors.
class [[nodiscard]] RecvAwaiter : detail::Canceller {
 public:
  explicit RecvAwaiter(detail::Conn* c) noexcept : Canceller(Canceller::NoInit{}), conn_(c) {}
  RecvAwaiter(RecvAwaiter&& o) noexcept : Canceller(Canceller::NoInit{}), conn_(std::exchange(o.conn_, nullptr)) {}
  RecvAwaiter(const RecvAwaiter&) = delete;
  ~RecvAwaiter() {
    if (waiter_) abandon();
  }

  bool await_ready() noexcept;
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, detail::cancel_target_of(h));
  }
  Result<RecvBuffer> await_resume() noexcept;

 private:
  friend struct detail::StreamOps;
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs);
  // (Out of line, so that suspend() and await_resume() stay small enough for
  // GCC to inline them into the awaiting coroutine.)
  [[gnu::noinline]] Result<RecvBuffer> resume_other() noexcept;
  [[gnu::noinline]] void refuse(detail::CancelState* cs) noexcept;  // fails the recv without suspending
  void abandon() noexcept;  // destroyed while suspended
  // (Fields that suspend() sets are kept apart, so GCC stores them one by
  // one instead of packing pairs into vector registers, which takes more
  // instructions.)
  detail::Conn* conn_;
  std::coroutine_handle<> waiter_;  // set while suspended
  uint32_t item_len_ = 0;  // non-zero: piece item_piece_ (an offset in the pool) was handed over directly
  uint32_t item_piece_ = 0;
  enum : uint8_t { kOk = 0, kCancelled = 1, kBusy = 2 };
  uint8_t fail_ = kOk;
  // Woken later than it was detached from the connection (closed,
  // cancelled): holds a reference on the connection until it resumes.
  bool held_ = false;
  detail::CancelState* cancel_;  // armed with this awaiter while suspended (never null then)
};

/// Awaiter of Stream::send() / send_all(). Sends on one socket are serialised:
/// while one is in flight the next waits its turn, so bytes never interleave.
class [[nodiscard]] SendAwaiter : detail::Completion, detail::Canceller {
 public:
  SendAwaiter(detail::Conn* c, const std::byte* p, std::size_t n, bool all) noexcept
      : Completion(Completion::NoInit{}), Canceller(Canceller::NoInit{}), conn_(c), data_(p), len_(n), all_(all) {}
  SendAwaiter(SendAwaiter&& o) noexcept
      : Completion(Completion::NoInit{}), Canceller(Canceller::NoInit{}), conn_(std::exchange(o.conn_, nullptr)),
        data_(o.data_), len_(o.len_), all_(o.all_) {}
  SendAwaiter(const SendAwaiter&) = delete;
  ~SendAwaiter() {
    if (state_ != 0) abandon();  // resumed (or never suspended): await_resume left it idle
  }

  bool await_ready() const noexcept { return len_ == 0; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, detail::cancel_target_of(h));
  }
  /// Bytes sent: all of them for send_all, at least one for send; or an error.
  Result<std::size_t> await_resume() noexcept;

 private:
  friend struct detail::StreamOps;
  friend struct detail::SendFileOps;
  friend class SendvAwaiter;
  friend class SendFileAwaiter;
  friend class SendFixedAwaiter;
  // What the send is: the plain one above (the hot path, tested nowhere on
  // it), or a derived awaiter that starts each try through StreamOps::start_other.
  enum Kind : uint8_t { kPlain = 0, kVectored = 1, kFile = 2, kFixed = 3 };
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs);
  // suspend() of the derived awaiters: the first try goes through send_start().
  bool suspend_other(std::coroutine_handle<> h, detail::CancelState* cs);
  void arm(std::coroutine_handle<> h, detail::CancelState* cs) noexcept;
  static void cancel_send(detail::Canceller* k);
  void abandon() noexcept;  // destroyed while suspended
  void drop_hold() noexcept;
  // (Ordered as in RecvAwaiter: what suspend() sets is kept apart.)
  detail::Conn* conn_;
  std::coroutine_handle<> waiter_;  // set while suspended
  const std::byte* data_;
  detail::CancelState* cancel_;  // armed with this awaiter while suspended
  std::size_t len_;
  std::size_t done_ = 0;
  SendAwaiter* next_ = nullptr;  // queue of sends waiting for the socket
  int32_t err_ = 0;
  bool all_;
  uint8_t state_ = 0;  // see StreamOps
  bool held_ = false;  // holds a reference on the connection (see RecvAwaiter)
  uint8_t kind_ = kPlain;  // fills the word: err_ to kind_ are set by one store
};

/// Awaiter of Stream::send_all(parts): every byte of several spans, in order,
/// gathered by the kernel (sendmsg; at most 16 spans per try, no copy into
/// one buffer). Queued with the stream's other sends like send_all; short
/// sends continue where they stopped. `parts` and the bytes they point to must
/// stay alive until the co_await returns.
class [[nodiscard]] SendvAwaiter : public SendAwaiter {
 public:
  SendvAwaiter(detail::Conn* c, std::span<const std::span<const std::byte>> parts) noexcept
      : SendAwaiter(c, nullptr, total(parts), true), parts_(parts.data()), nparts_(parts.size()) {
    kind_ = kVectored;
  }
  SendvAwaiter(SendvAwaiter&& o) noexcept : SendAwaiter(std::move(o)), parts_(o.parts_), nparts_(o.nparts_) {
    kind_ = kVectored;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend_other(h, detail::cancel_target_of(h));
  }

 private:
  friend struct detail::StreamOps;
  static constexpr std::size_t kMaxIov = 16;
  static std::size_t total(std::span<const std::span<const std::byte>> parts) noexcept {
    std::size_t n = 0;
    for (auto p : parts) n += p.size();
    return n;
  }
  const std::span<const std::byte>* parts_;
  std::size_t nparts_;
  // What the kernel reads until the try's completion: stable in this awaiter.
  ::msghdr msg_{};
  ::iovec iov_[kMaxIov];
};

/// Awaiter of Stream::send_all(FixedBuffer): every byte of the buffer's
/// size(), queued with the stream's other sends like send_all. The awaiter
/// owns the buffer and gives it back when the co_await returns; on io_uring a
/// zero-copy send (RuntimeOptions::zero_copy_threshold) keeps it out of the
/// pool until the kernel's notification, also when the task is cancelled or
/// destroyed or the stream closes, so the bytes can never change under the
/// kernel. A connection whose zero-copy sends the kernel reports as copied
/// (loopback) sends by copy from then on.
class [[nodiscard]] SendFixedAwaiter : public SendAwaiter {
 public:
  SendFixedAwaiter(detail::Conn* c, FixedBuffer b) noexcept
      : SendAwaiter(c, b.data(), b.size(), true), buf_(std::move(b)) {
    kind_ = kFixed;
  }
  SendFixedAwaiter(SendFixedAwaiter&& o) noexcept : SendAwaiter(std::move(o)), buf_(std::move(o.buf_)) {
    kind_ = kFixed;
  }
  ~SendFixedAwaiter() {
    if (state_ != 0) {
      abandon();  // the driver keeps the buffer pinned while the kernel has it
      state_ = 0;
    }
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend_other(h, detail::cancel_target_of(h));
  }
  Result<std::size_t> await_resume() noexcept {
    auto r = SendAwaiter::await_resume();
    buf_.reset();
    return r;
  }

 private:
  friend struct detail::StreamOps;
  FixedBuffer buf_;
};

/// Awaiter of Stream::send_file(): `length` bytes of a file from `offset`,
/// queued with the stream's other sends like send_all, so no other send's
/// bytes come between. By default the bytes do not pass through user space
/// (io_uring: file -> pipe -> socket with IORING_OP_SPLICE; epoll:
/// sendfile(2)); the environment variable CORING_SEND_FILE=read makes both
/// read into a shard-reused 256 KiB buffer, then send (docs/bytes.md has the
/// measurements and the trade-off). Memory stays bounded whatever the length.
/// Fails with errc::no_message_available if the file ends before `length`
/// bytes (it shrank): no byte past the new end is read, and what was sent
/// stays sent, so close the stream. (Zero-copy caveat: pages already queued
/// in the socket when the file is truncated in place may go out as the
/// truncation left them, zeros; with CORING_SEND_FILE=read never.)
class [[nodiscard]] SendFileAwaiter : public SendAwaiter {
 public:
  SendFileAwaiter(detail::Conn* c, int fd, std::uint64_t offset, std::uint64_t length) noexcept
      : SendAwaiter(c, nullptr, length, true), fd_(fd), offset_(offset) {
    kind_ = kFile;
  }
  SendFileAwaiter(SendFileAwaiter&& o) noexcept : SendAwaiter(std::move(o)), fd_(o.fd_), offset_(o.offset_) {
    kind_ = kFile;
  }
  ~SendFileAwaiter();
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend_other(h, detail::cancel_target_of(h));
  }
  Result<std::size_t> await_resume() noexcept;

 private:
  friend struct detail::StreamOps;
  friend struct detail::SendFileOps;
  // A file-system step of the transfer (a read, or a splice in or out of the pipe).
  struct Step : detail::FileOp {
    SendFileAwaiter* owner = nullptr;
  };
  void release(bool clean) noexcept;
  int fd_;
  std::uint64_t offset_;
  detail::Completion* current_ = this;  // what the driver holds now: this (a socket send) or &step_
  Step step_;
  std::byte* buf_ = nullptr;   // read and send: the chunk buffer (fixed_'s, or a shard spare)
  FixedBuffer fixed_;          // read and send: a fixed buffer when one was free
  std::uint32_t buf_cap_ = 0;
  std::uint64_t chunk_at_ = 0; // read and send: done_ when the chunk in buf_ was read
  std::uint32_t chunk_len_ = 0;
  std::uint32_t in_pipe_ = 0;  // splice: bytes in the pipe, not yet on the socket
  int pipe_[2] = {-1, -1};
  std::uint32_t pipe_size_ = 0;
  std::uint8_t mode_ = 0;      // 0: not chosen yet; else 1 + detail::FileSendMode
};

enum class ShutdownHow { read = 0, write = 1, both = 2 };

/// A connected TCP stream, owned by one shard. Move-only; destroying it closes
/// the socket after cancelling whatever is in flight on it.
class Stream {
 public:
  Stream() = default;
  explicit Stream(detail::Conn* c) noexcept : conn_(c) {}
  Stream(Stream&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    if (this != &o) {
      close();
      conn_ = std::exchange(o.conn_, nullptr);
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { close(); }

  /// Connects to `addr` (non-blocking; cancellable; errors such as
  /// `errc::connection_refused` come back as values).
  static Task<Result<Stream>> connect(SocketAddress addr) { return connect(addr, ConnectOptions{}); }
  /// Connects with options (a source address to bind, socket options) set
  /// on the socket before it connects.
  static Task<Result<Stream>> connect(SocketAddress addr, ConnectOptions opts);
  /// Connects to a host by name ("example.com", "localhost" or a numeric
  /// address): resolve() on the offload pool, then each address in turn
  /// until one connects. Fails with the last address's error, or the
  /// resolver's (resolve_category()).
  static Task<Result<Stream>> connect(std::string host, uint16_t port, ConnectOptions opts = {});
  /// Wraps an already connected socket; the Stream takes ownership of `fd`.
  static Result<Stream> adopt(int fd);

  /// The next bytes received, lent from the shard's pool (see RecvBuffer).
  RecvAwaiter recv() noexcept { return RecvAwaiter(conn_); }
  /// One send; may be short (returns how many bytes went).
  SendAwaiter send(std::span<const std::byte> b) noexcept { return {conn_, b.data(), b.size(), false}; }
  /// Sends every byte (looping over short sends) or fails.
  SendAwaiter send_all(std::span<const std::byte> b) noexcept { return {conn_, b.data(), b.size(), true}; }
  SendAwaiter send_all(std::string_view s) noexcept {
    return {conn_, reinterpret_cast<const std::byte*>(s.data()), s.size(), true};
  }
  /// Sends every byte of several spans, in order, in one gathered operation
  /// (sendmsg), e.g. a header and a body without copying them together.
  /// `parts` and its bytes must outlive the co_await (see SendvAwaiter).
  SendvAwaiter send_all(std::span<const std::span<const std::byte>> parts) noexcept { return {conn_, parts}; }
  /// Sends buffer.size() bytes of a fixed buffer, which the send takes over
  /// (see SendFixedAwaiter): registered memory, and zero-copy for large sends
  /// on io_uring.
  SendFixedAwaiter send_all(FixedBuffer buffer) noexcept { return {conn_, std::move(buffer)}; }

  /// Sends `length` bytes of `file` from `offset` without copying them through
  /// user space where the backend can (see SendFileAwaiter); `file` must stay
  /// open until the co_await returns.
  SendFileAwaiter send_file(const File& file, std::uint64_t offset, std::uint64_t length) noexcept;

  /// Half-closes the connection (by default: no more sends; the peer sees EOF).
  Result<void> shutdown(ShutdownHow how = ShutdownHow::write) noexcept;
  /// Cancels in-flight operations (their tasks resume with operation_canceled)
  /// and closes the socket. Idempotent.
  void close() noexcept;

  /// Sets or reads a socket option (see SocketOption); `bad_file_descriptor` once closed.
  Result<void> set_option(SocketOption opt, int value) noexcept;
  Result<int> get_option(SocketOption opt) const noexcept;

  bool is_open() const noexcept { return conn_ != nullptr; }
  int native_handle() const noexcept;
  Result<SocketAddress> peer_address() const;

 private:
  friend struct detail::StreamOps;  // park() takes and gives back the connection
  detail::Conn* conn_ = nullptr;
};

}  // namespace coring
