// BufferedWriter: small writes gathered in one bounded buffer and sent with send_all when it fills or on flush().
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "coring/detail/maybe_ready.hpp"
#include "coring/net/stream.hpp"
#include "coring/result.hpp"

namespace coring {

/// Options of a BufferedWriter.
struct WriterOptions {
  /// Size of the writer's buffer, allocated once on the first write and reused.
  std::size_t capacity = 16 * 1024;
};

class BufferedWriter;

/// Awaiter of BufferedWriter::flush(): one send_all of the buffered bytes.
class [[nodiscard]] FlushAwaiter {
 public:
  FlushAwaiter(BufferedWriter* w, SendAwaiter send) noexcept : w_(w), send_(std::move(send)) {}
  bool await_ready() const noexcept { return send_.await_ready(); }  // nothing buffered
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return send_.await_suspend(h);
  }
  Result<void> await_resume() noexcept;

 private:
  BufferedWriter* w_;
  SendAwaiter send_;
};

/// Gathers writes to a Stream in one buffer of bounded size, so that many
/// small replies leave in one send. `write` copies into the buffer when the
/// bytes fit; when they do not, it first flushes what is buffered (awaiting
/// the send), and bytes larger than the whole buffer are sent directly
/// without a copy. Nothing is sent until the buffer fills or `flush()` is
/// awaited: flush before waiting for the peer's next request.
///
/// Memory stays bounded by `capacity` and, in steady state, a write that fits
/// and a flush allocate nothing; a write that must send first runs as a
/// coroutine (one frame). The bytes passed to `write` must stay valid until
/// its co_await ends.
///
/// Errors come back as values (`operation_canceled` when the task is
/// cancelled or the stream closed, the socket's errors). After a failed
/// flush the buffered bytes are dropped, since an unknown prefix of them may
/// have gone out: the stream is then best closed.
///
/// One task writes at a time; the Stream must outlive the writer.
class BufferedWriter {
 public:
  explicit BufferedWriter(Stream& s, WriterOptions opts = {}) : stream_(&s), cap_(opts.capacity ? opts.capacity : 1) {}
  BufferedWriter(const BufferedWriter&) = delete;
  BufferedWriter& operator=(const BufferedWriter&) = delete;

  /// Appends `b` to the buffer, flushing first if it would overflow.
  detail::MaybeReady<Result<void>> write(std::span<const std::byte> b);
  detail::MaybeReady<Result<void>> write(std::string_view s) {
    return write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(s.data()), s.size()));
  }
  /// Sends everything buffered (send_all); ready at once when nothing is.
  FlushAwaiter flush() noexcept { return {this, stream_->send_all(std::span<const std::byte>(buf_.get(), size_))}; }

  /// Bytes written and not yet sent.
  std::size_t buffered() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }

 private:
  friend class FlushAwaiter;
  Task<Result<void>> write_slow(std::span<const std::byte> b);
  void append(std::span<const std::byte> b) noexcept;

  Stream* stream_;
  std::unique_ptr<std::byte[]> buf_;
  std::size_t size_ = 0;
  std::size_t cap_;
};

}  // namespace coring
