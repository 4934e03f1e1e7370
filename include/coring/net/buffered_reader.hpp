// BufferedReader: delimited and fixed-size reads over a Stream, zero-copy when a token lies in one receive buffer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "coring/detail/maybe_ready.hpp"
#include "coring/net/buffer.hpp"
#include "coring/net/stream.hpp"
#include "coring/result.hpp"

namespace coring {

/// Options of a BufferedReader.
struct ReaderOptions {
  /// The most bytes the reader keeps buffered while it looks for a token: a
  /// line longer than this, or a read_exactly(n) with n above it, fails with
  /// `errc::message_size` instead of growing the buffer without bound.
  std::size_t max_buffered = 64 * 1024;
};

class BufferedReader;

/// Awaiter of BufferedReader::fill(): wraps the stream's RecvAwaiter, so a
/// refill allocates no coroutine frame. Movable before it is awaited (as
/// with_timeout and cancel_on_stop do).
class [[nodiscard]] FillAwaiter {
 public:
  FillAwaiter(BufferedReader& r, RecvAwaiter recv) noexcept : r_(&r), recv_(std::move(recv)) {}
  FillAwaiter(FillAwaiter&&) noexcept = default;

  inline bool await_ready();
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return recv_.await_suspend(h);
  }
  inline Result<std::size_t> await_resume() noexcept;

 private:
  BufferedReader* r_;
  RecvAwaiter recv_;
  std::optional<Result<std::size_t>> early_;  // answered without receiving (end of stream, full)
};

/// Reads tokens from a Stream: lines (`read_until`), fixed-size blocks
/// (`read_exactly`), or raw bytes (`fill`, `peek`, `consume`).
///
/// Views returned by `read_until` and `read_exactly` stay valid until the next
/// read call (`read_until`, `read_exactly`, `fill`) on this reader. When a
/// token lies inside the receive buffer lent by the stream, the view points
/// into it (no copy); a token that spans receive buffers is copied into the
/// reader's own buffer. The reader holds at most one receive buffer at a time,
/// so it never uses up the connection's share of the pool.
///
/// End of stream: at a token boundary a read returns an empty view (like
/// `recv()`'s empty buffer); in the middle of a token it fails with
/// `errc::connection_aborted`, and the partial bytes stay readable through
/// `peek()`. Errors of the stream (`operation_canceled` when the task is
/// cancelled or the stream closed, ...) come back as values and lose no bytes:
/// what was buffered is still there for the next read.
///
/// One task reads at a time; the Stream must outlive the reader.
class BufferedReader {
 public:
  explicit BufferedReader(Stream& s, ReaderOptions opts = {}) : stream_(&s), opts_(opts) {}
  BufferedReader(const BufferedReader&) = delete;
  BufferedReader& operator=(const BufferedReader&) = delete;

  /// The bytes up to and including the first `delim` (which must not be empty).
  detail::MaybeReady<Result<std::string_view>> read_until(std::string_view delim);
  /// The next `n` bytes.
  detail::MaybeReady<Result<std::string_view>> read_exactly(std::size_t n);
  /// Receives once more from the stream, adding to what is buffered; gives the
  /// number of bytes now available, 0 at end of stream.
  /// Allocates nothing (the returned awaiter wraps Stream::recv()).
  FillAwaiter fill() noexcept { return FillAwaiter(*this, stream_->recv()); }

  /// The first contiguous run of buffered bytes (possibly fewer than available()).
  std::string_view peek() const noexcept { return owned_size() ? owned_view() : cur_.view(); }
  /// Every byte buffered and not yet consumed.
  std::size_t available() const noexcept { return owned_size() + cur_.size(); }
  /// Drops the first `n` buffered bytes (at most available()).
  void consume(std::size_t n) noexcept;
  /// True once the stream has reported its end.
  bool eof() const noexcept { return eof_; }
  const ReaderOptions& options() const noexcept { return opts_; }

 private:
  friend class FillAwaiter;
  // fill(), before receiving: an answer that needs no receive, or nothing
  // (then cur_'s rest has moved into owned_ and cur_ is given back).
  std::optional<Result<std::size_t>> fill_prepare();
  Result<std::size_t> fill_done(Result<RecvBuffer> r) noexcept;
  std::size_t owned_size() const noexcept { return owned_.size() - off_; }
  std::string_view owned_view() const noexcept { return std::string_view(owned_).substr(off_); }
  std::optional<std::string_view> try_until(std::string_view delim, std::size_t& from);
  std::optional<std::string_view> try_exactly(std::size_t n);
  std::string_view take_spanning(std::size_t k);
  Task<Result<std::string_view>> until_slow(std::string_view delim, std::size_t from);
  Task<Result<std::string_view>> exactly_slow(std::size_t n);

  Stream* stream_;
  ReaderOptions opts_;
  std::string owned_;   // bytes copied out of earlier receive buffers; [off_, size) unread
  std::size_t off_ = 0;
  RecvBuffer cur_;      // the one receive buffer held; its unread bytes follow owned_'s
  bool eof_ = false;
};

bool FillAwaiter::await_ready() {
  early_ = r_->fill_prepare();
  return early_ || recv_.await_ready();
}
Result<std::size_t> FillAwaiter::await_resume() noexcept {
  if (early_) return *early_;
  return r_->fill_done(recv_.await_resume());
}

}  // namespace coring
