// A streamed response (Response::stream): its head into the batch, then its body written by the handler's coroutine while the peer is watched.
#pragma once

#include <chrono>
#include <cstdint>

#include "coring/core/task.hpp"
#include "coring/http/body_writer.hpp"
#include "coring/http/response.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/stream.hpp"
#include "runtime/http/out_buffer.hpp"
#include "runtime/http/response_writer.hpp"

namespace coring::http::detail {

/// Where a BodyWriter's pieces go: the connection's socket, after what the batch holds
/// (earlier pipelined responses and this response's head), framed as the head announced.
class BodySink {
 public:
  BodySink(Stream& s, OutBuffer& out, Framing framing, std::int64_t length, std::chrono::milliseconds timeout,
           ServerStats& stats) noexcept
      : s_(s), out_(out), timeout_(timeout), stats_(stats), length_(length), framing_(framing) {}

  Task<Result<void>> write(std::span<const std::byte> bytes);
  Task<Result<void>> flush();
  std::uint64_t written() const noexcept { return written_; }
  Framing framing() const noexcept { return framing_; }
  /// A write failed (the client went, a timeout, a cancel, too long): the body cannot be completed.
  bool failed() const noexcept { return failed_; }

 private:
  Stream& s_;
  OutBuffer& out_;
  std::chrono::milliseconds timeout_;
  ServerStats& stats_;
  std::int64_t length_;
  std::uint64_t written_ = 0;
  Framing framing_;
  bool failed_ = false;
  char line_[20];  // a chunk's size line: hex digits and CRLF
};

/// How a streamed response ended.
enum class StreamEnd : unsigned char {
  keep,   ///< complete: the connection goes on (its last bytes may still be queued in `out`)
  close,  ///< complete, but close the connection after what `out` holds (close-delimited body)
  abort,  ///< incomplete (the coroutine failed, threw, wrote too little, or the client went): close now
};

/// Appends `r`'s head to `out` and, unless the request was HEAD or the status has no body,
/// runs `r.streamed` with a BodyWriter. Meanwhile it receives from `s` to notice a client that
/// closes or resets (the coroutine is then cancelled); bytes that arrive instead (a pipelined
/// request) are kept in `pending` for the connection to parse next.
Task<StreamEnd> send_stream_response(Stream& s, OutBuffer& out, HeadCache& heads, Response& r,
                                     const WriteContext& ctx, std::chrono::milliseconds timeout, ServerStats& stats,
                                     RecvBuffer& pending);

}  // namespace coring::http::detail
