// http::BodyWriter and StreamBody: a response body written in pieces by a coroutine (Response::stream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "coring/core/task.hpp"
#include "coring/result.hpp"

namespace coring::http {

namespace detail {
class BodySink;
}

/// What a streaming response's body coroutine writes to (see Response::stream).
/// Each write sends its piece before it returns: it waits while the client's
/// socket is full (backpressure; nothing is buffered beyond the piece itself),
/// at most the server's send_timeout. The response head goes out with the first
/// write (flush() sends it at once). A write fails, and so does every later
/// one, when the client went away, the send timed out, the task was cancelled
/// (a client disconnect cancels it), or the piece would pass the announced
/// Content-Length (errc::message_size).
class BodyWriter {
 public:
  /// Sends `bytes` as the next piece of the body (an empty piece sends nothing).
  Task<Result<void>> write(std::span<const std::byte> bytes);
  Task<Result<void>> write(std::string_view bytes) {
    return write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
  }
  /// Sends the response head now, if no write has sent it yet.
  Task<Result<void>> flush();
  /// Body bytes written so far.
  std::uint64_t written() const noexcept;
  /// True when the body goes out in chunks (length unknown, HTTP/1.1 client).
  bool chunked() const noexcept;

  explicit BodyWriter(detail::BodySink& sink) noexcept : sink_(&sink) {}

 private:
  detail::BodySink* sink_;
};

/// The body of a streaming response: a coroutine that writes it through a
/// BodyWriter, and its length when known in advance. Build one with
/// Response::stream().
struct StreamBody {
  virtual ~StreamBody() = default;
  /// Writes the body; an error (or an exception) ends the response early:
  /// the connection is closed without completing the body, so the client can
  /// tell (a short Content-Length body, or no terminating chunk).
  virtual Task<Result<void>> run(BodyWriter& out) = 0;
  /// The body's length in bytes, or -1 (unknown: chunked transfer coding for
  /// HTTP/1.1 clients; HTTP/1.0 clients get a body ended by closing the connection).
  std::int64_t length = -1;
};

namespace detail {
/// A StreamBody around a callable `Task<Result<void>>(BodyWriter&)` or `Task<>(BodyWriter&)`;
/// the callable (and what it captures) lives as long as the coroutine it starts.
template <class F>
struct StreamBodyOf final : StreamBody {
  explicit StreamBodyOf(F f, std::int64_t len) : fn(std::move(f)) { length = len; }
  Task<Result<void>> run(BodyWriter& out) override {
    if constexpr (std::is_same_v<decltype(fn(out)), Task<Result<void>>>) {
      return fn(out);
    } else {
      return run_void(out);
    }
  }
  Task<Result<void>> run_void(BodyWriter& out) {
    co_await fn(out);
    co_return Result<void>{};
  }
  F fn;
};
}  // namespace detail

}  // namespace coring::http
