// send_file_response: the head through the batch, then the file body with Stream::send_file, a send timeout per piece.
#include "runtime/http/file_response.hpp"

#include <algorithm>

#include "coring/time/timeout.hpp"

namespace coring::http::detail {

namespace {
constexpr std::uint64_t kPiece = 16 << 20;  // the send timeout covers one piece: a stalled client ends within it
}

Task<bool> send_file_response(Stream& s, OutBuffer& out, HeadCache& heads, Response& r, const WriteContext& ctx,
                              std::chrono::milliseconds timeout, ServerStats& stats) {
  FileBody& fb = *r.file;
  const bool no_body_status = status_has_no_body(r.status);
  r.body.clear();
  r.head_length = static_cast<std::int64_t>(fb.length);
  write_response(out, heads, r, WriteContext{ctx.minor_version, ctx.keep_alive, /*head=*/true});
  if (ctx.head || no_body_status || fb.length == 0) co_return true;
  ++stats.response_batches;
  auto sent = co_await with_timeout(s.send_all(out.view()), timeout);
  out.clear();
  if (!sent) {
    if (sent.error() == errc::timed_out) ++stats.send_timeouts;
    co_return false;
  }
  for (std::uint64_t done = 0; done < fb.length;) {
    const std::uint64_t n = std::min(fb.length - done, kPiece);
    auto piece = co_await with_timeout(s.send_file(fb.file, fb.offset + done, n), timeout);
    if (!piece) {
      if (piece.error() == errc::timed_out) ++stats.send_timeouts;
      co_return false;
    }
    done += n;
  }
  (void)co_await fb.file.close();
  co_return true;
}

}  // namespace coring::http::detail
