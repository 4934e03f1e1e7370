// A response whose body is a file: its head into the batch, then the batch and the file sent in order.
#pragma once

#include <chrono>

#include "coring/core/task.hpp"
#include "coring/http/response.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/stream.hpp"
#include "runtime/http/out_buffer.hpp"
#include "runtime/http/response_writer.hpp"

namespace coring::http::detail {

/// Appends `r`'s head (Content-Length: its file's length) to `out`. For a
/// response with a body, sends what `out` holds (earlier pipelined responses,
/// then this head), then the file with Stream::send_file in pieces of at most
/// 16 MiB, each within `timeout`. False when the connection must close (a
/// send failed or timed out, or the file ended early: the client then sees a
/// short body, never foreign bytes).
Task<bool> send_file_response(Stream& s, OutBuffer& out, HeadCache& heads, Response& r, const WriteContext& ctx,
                              std::chrono::milliseconds timeout, ServerStats& stats);

}  // namespace coring::http::detail
