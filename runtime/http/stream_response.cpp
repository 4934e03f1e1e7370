// Streamed responses: the BodyWriter's framed sends (head with the first piece), and the body coroutine raced against the peer going away.
#include "runtime/http/stream_response.hpp"

#include <exception>
#include <variant>

#include "coring/core/event.hpp"
#include "coring/core/when_any.hpp"
#include "coring/time/timeout.hpp"

namespace coring::http::detail {

namespace {

std::span<const std::byte> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// Receives until the client closes or resets (then returns, which cancels the body
/// coroutine). Bytes that arrive first are the next pipelined request: kept in `pending`,
/// and the watch ends there (a client that pipelines is not about to go away; if it does,
/// the next write fails).
Task<> watch_peer(Stream& s, RecvBuffer& pending) {
  auto r = co_await s.recv();
  if (!r && r.error() != errc::no_buffer_space) co_return;  // reset (or cancelled: the body ended)
  if (r && r->empty()) co_return;                           // closed
  if (r) pending = std::move(*r);
  Event never;
  (void)co_await never.wait();  // until the body coroutine ends and when_any cancels this
}

}  // namespace

Task<Result<void>> BodySink::write(std::span<const std::byte> bytes) {
  if (failed_) co_return errc::broken_pipe;
  if (bytes.empty()) co_return Result<void>{};
  if (framing_ == Framing::length && written_ + bytes.size() > static_cast<std::uint64_t>(length_)) {
    failed_ = true;
    co_return errc::message_size;
  }
  std::span<const std::byte> parts[4];
  std::size_t n = 0;
  if (!out_.empty()) parts[n++] = bytes_of(out_.view());  // the batch so far: this head goes with the first piece
  if (framing_ == Framing::chunked) {
    char* end = line_ + sizeof line_;
    char* p = end;
    *--p = '\n';
    *--p = '\r';
    for (std::size_t v = bytes.size(); v != 0; v >>= 4) *--p = "0123456789abcdef"[v & 15];
    parts[n++] = std::span<const std::byte>(reinterpret_cast<const std::byte*>(p), static_cast<std::size_t>(end - p));
  }
  parts[n++] = bytes;
  if (framing_ == Framing::chunked) parts[n++] = bytes_of("\r\n");
  ++stats_.response_batches;
  auto sent = co_await with_timeout(s_.send_all(std::span<const std::span<const std::byte>>(parts, n)), timeout_);
  out_.clear();
  if (!sent) {
    if (sent.error() == errc::timed_out) ++stats_.send_timeouts;
    failed_ = true;
    co_return sent.error();
  }
  written_ += bytes.size();
  co_return Result<void>{};
}

Task<Result<void>> BodySink::flush() {
  if (failed_) co_return errc::broken_pipe;
  if (out_.empty()) co_return Result<void>{};
  ++stats_.response_batches;
  auto sent = co_await with_timeout(s_.send_all(out_.view()), timeout_);
  out_.clear();
  if (!sent) {
    if (sent.error() == errc::timed_out) ++stats_.send_timeouts;
    failed_ = true;
    co_return sent.error();
  }
  co_return Result<void>{};
}

Task<StreamEnd> send_stream_response(Stream& s, OutBuffer& out, HeadCache& heads, Response& r,
                                     const WriteContext& ctx, std::chrono::milliseconds timeout, ServerStats& stats,
                                     RecvBuffer& pending) {
  StreamBody& body = *r.streamed;
  const bool no_body_status = status_has_no_body(r.status);
  WriteContext c = ctx;
  if (body.length >= 0) {
    r.head_length = body.length;
    c.head = true;  // the head only: Content-Length from head_length
  } else if (ctx.minor_version == 0) {
    c.framing = Framing::close;
    c.keep_alive = false;
  } else {
    c.framing = Framing::chunked;
  }
  r.body.clear();
  write_response(out, heads, r, c);
  if (ctx.head || no_body_status) co_return c.keep_alive ? StreamEnd::keep : StreamEnd::close;

  BodySink sink(s, out, c.framing, body.length, timeout, stats);
  BodyWriter w(sink);
  bool ended = false;  // the body coroutine finished (rather than the peer going away)
  Result<void> result;
  try {
    auto won = co_await when_any(body.run(w), watch_peer(s, pending));
    if (won.index() == 0) {
      ended = true;
      result = std::get<0>(std::move(won));
    }
  } catch (...) {  // the body coroutine threw: the response cannot be completed
    co_return StreamEnd::abort;
  }
  if (!ended || !result || sink.failed()) co_return StreamEnd::abort;
  if (c.framing == Framing::length && sink.written() != static_cast<std::uint64_t>(body.length))
    co_return StreamEnd::abort;
  if (c.framing == Framing::chunked) out.append("0\r\n\r\n");  // the last chunk: goes with the batch
  co_return c.keep_alive ? StreamEnd::keep : StreamEnd::close;
}

}  // namespace coring::http::detail

namespace coring::http {

Task<Result<void>> BodyWriter::write(std::span<const std::byte> bytes) { return sink_->write(bytes); }
Task<Result<void>> BodyWriter::flush() { return sink_->flush(); }
std::uint64_t BodyWriter::written() const noexcept { return sink_->written(); }
bool BodyWriter::chunked() const noexcept { return sink_->framing() == detail::Framing::chunked; }

}  // namespace coring::http
