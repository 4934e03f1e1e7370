// One HTTP connection: parse pipelined requests, run handlers in order, send each batch of responses in one send_all.
#include <chrono>
#include <exception>

#include "coring/core/stop.hpp"
#include "coring/time/timeout.hpp"
#include "runtime/http/file_response.hpp"
#include "runtime/http/linger.hpp"
#include "runtime/http/op_deadline.hpp"
#include "runtime/http/response_writer.hpp"
#include "runtime/http/server_state.hpp"
#include "runtime/http/stream_response.hpp"

// Note: no `if (co_await task())` here: GCC 12.2 miscompiles a Task awaited inside an if
// condition (the coroutine never resumes); results are bound to a variable first.

namespace coring::http::detail {

namespace {

using std::chrono::milliseconds;
using coring::detail::now_ns;
using coring::detail::turn_ns;

/// Sends the queued responses in one send_all; false if the connection is gone or the send timed out.
Task<bool> send_batch(Stream& s, OutBuffer& out, milliseconds timeout, ServerStats& stats) {
  if (out.empty()) co_return true;
  ++stats.response_batches;
  auto r = co_await with_timeout(s.send_all(out.view()), timeout);
  out.clear();
  if (!r) {
    if (r.error() == errc::timed_out) ++stats.send_timeouts;
    co_return false;
  }
  co_return true;
}

/// A response whose body is a file or a stream (see file_response.hpp and stream_response.hpp).
Task<StreamEnd> send_body(Stream& s, OutBuffer& out, HeadCache& heads, Response& r, const WriteContext& ctx,
                          milliseconds timeout, ServerStats& stats, RecvBuffer& pending) {
  if (r.streamed) {
    const StreamEnd end = co_await send_stream_response(s, out, heads, r, ctx, timeout, stats, pending);
    co_return end;
  }
  const bool ok = co_await send_file_response(s, out, heads, r, ctx, timeout, stats);
  co_return ok ? StreamEnd::keep : StreamEnd::abort;
}

/// Runs a plain handler; an exception escaping it becomes a 500, as for a coroutine handler.
Response call_sync(const SyncHandler& h, Request& req) {
  try {
    return h(req);
  } catch (...) {
    return Response::plain(500);
  }
}

}  // namespace

void split_target(std::string_view target, std::string_view& path, std::string_view& query) noexcept {
  std::string_view t = target;
  if (!t.empty() && t.front() != '/' && t != "*") {
    // absolute-form: drop "scheme://authority" (which ends at the first "/" or "?"); an empty
    // path is "/". Authority-form (CONNECT) keeps the whole target.
    auto scheme_end = t.find("://");
    if (scheme_end != std::string_view::npos) {
      auto end = t.find_first_of("/?", scheme_end + 3);
      if (end == std::string_view::npos || t[end] == '?') {
        path = "/";
        query = end == std::string_view::npos ? std::string_view() : t.substr(end + 1);
        return;
      }
      t = t.substr(end);
    }
  }
  auto q = t.find('?');
  path = t.substr(0, q);
  query = q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

Task<> run_connection(ConnectionSlot slot, Stream s, std::uint64_t cookie) {
  ServerState* st = &slot.state();  // alive as long as the slot, a parameter of this frame
  ServerStats& stats = st->stats;
  const ServerOptions& o = st->options;
  const auto ms_ns = [](milliseconds d) { return static_cast<std::int64_t>(d.count()) * 1'000'000; };

  Parser parser(o.limits);
  OutBuffer out;              // responses of the current batch
  DeadlineTimer recv_timer;   // the deadlines of receives (idle, head, body) and of sends: they
  DeadlineTimer send_timer;   // stay queued between waits (see op_deadline.hpp)
  std::string body_store;     // a body that arrived in more than one piece
  std::string_view body_view; // a body that so far arrived in one piece (points into buf)
  RecvBuffer buf;             // the buffer being parsed; the only one held
  RecvBuffer pending;         // received while a streamed response was written: parsed after buf
  std::string_view in;        // its unparsed part
  const bool first = ParkCookie::is_first(cookie);
  std::uint32_t served = first ? 0 : static_cast<std::uint32_t>(cookie);
  bool continue_due = false;  // Expect: 100-continue seen, body not yet asked for
  std::int64_t header_deadline = first ? ParkCookie::header_deadline(cookie) : 0;
  std::int64_t body_deadline = 0;
  std::int64_t head_at = 0;
  // When the last response was written, until the next wait: a head parsed meanwhile (from the
  // same buffer, well under a microsecond later) takes it as its start, saving a clock read.
  std::int64_t done_at = 0;
  // The rare ways out (a response that closes, a parse error, a 408) leave the loop with
  // `closing` set and meet at one send and one lingering close after it: every co_await
  // site adds its awaiter to this frame, which every open connection holds.
  bool closing = false;
  bool flush = false;  // send what is queued before parsing on (max_batch_bytes reached)
  std::chrono::nanoseconds park_in{-1};  // >= 0: leave the loop to park for so long
  std::uint32_t served_here = 0;         // requests served by this frame

  while (!closing) {
    const Step step = parser.feed(in);
    in.remove_prefix(step.consumed);
    switch (step.event) {
      case Event::head:
        head_at = done_at != 0 ? done_at : turn_ns();  // when its bytes came: no clock read
        if (parser.head().has_body()) {
          body_deadline = head_at + ms_ns(o.body_timeout);
          continue_due = parser.head().expect_continue;
        }
        continue;
      case Event::body:
        if (body_store.empty() && body_view.empty()) {
          body_view = step.body;
        } else {
          body_store.append(body_view);
          body_view = {};
          body_store.append(step.body);
        }
        continue;
      case Event::done: {
        const RequestHead& head = parser.head();
        Request req{head, {}, {}, body_view.empty() ? std::string_view(body_store) : body_view, &stats};
        split_target(head.target, req.path, req.query);
        Router::Match m = st->router.match(head.method, req.path);
        Response resp = m.sync ? call_sync(*m.sync, req) : Response();  // no frame for a plain handler
        if (m.handler) {
          try {
            resp = co_await (*m.handler)(req);
          } catch (...) {
            resp = Response::plain(500);
          }
        } else if (!m.sync) {
          resp = Response::plain(m.status);
          if (!m.allow.empty()) resp.add_header("Allow", m.allow);
        }
        ++served;
        ++served_here;
        const bool last = o.max_requests_per_connection && served >= o.max_requests_per_connection;
        // A graceful stop (Runtime::shutdown) or a drain lets the request in hand finish, then closes.
        bool keep = head.keep_alive && !resp.close && !last && !st->draining && !stop_requested();
        if (resp.file || resp.streamed) [[unlikely]] {  // the batch so far and this head go first, then the body
          const StreamEnd end = co_await send_body(s, out, st->heads, resp,
                                                   WriteContext{head.minor_version, keep, head.method == "HEAD"},
                                                   o.send_timeout, stats, pending);
          if (end == StreamEnd::abort) co_return;
          keep = keep && end == StreamEnd::keep;
        } else {
          write_response(out, st->heads, resp, WriteContext{head.minor_version, keep, head.method == "HEAD"});
        }
        done_at = now_ns();
        stats.record(resp.status, static_cast<std::uint64_t>(done_at - head_at));
        body_store.clear();
        body_view = {};
        continue_due = false;
        header_deadline = 0;  // the next head's clock starts when we first wait for the rest of it
        if (!keep) {
          closing = true;
          break;
        }
        if (out.size() >= o.max_batch_bytes) {
          flush = true;
          break;
        }
        continue;
      }
      case Event::error: {
        ++stats.parse_errors;
        const Error& e = parser.error();
        Response resp = Response::plain(e.status);
        write_response(out, st->heads, resp, WriteContext{1, false, false});
        stats.record(e.status, 0);
        closing = true;
        break;
      }
      case Event::need_more:
        break;
    }
    if (closing) break;

    // Out of bytes: send this batch's responses, then wait for more.
    if (!body_view.empty()) {  // the body continues in the next buffer: keep what we have
      body_store.append(body_view);
      body_view = {};
    }
    if (continue_due) {
      write_continue(out);
      continue_due = false;
    }
    if (!out.empty()) {  // send_batch() inlined on this hot path, with no coroutine frame at all
      ++stats.response_batches;
      auto sent = co_await op_deadline(s.send_all(out.view()), send_timer, o.send_timeout);
      out.clear();
      if (!sent) {
        if (sent.error() == errc::timed_out) ++stats.send_timeouts;
        co_return;
      }
    }
    if (flush) {  // the rest of `in` is still to be parsed
      flush = false;
      continue;
    }
    parser.detach();  // nothing may point into buf from here on
    done_at = 0;
    buf.reset();
    in = {};
    if (!pending.empty()) [[unlikely]] {  // arrived while a body was streamed
      buf = std::move(pending);
      in = buf.view();
      continue;
    }

    // Waiting for a next request is not work in progress: a graceful stop ends it (see below).
    const bool idle = parser.at_message_start();
    std::chrono::nanoseconds wait = o.idle_timeout;  // keep-alive: idle && served > 0
    if (!idle || served == 0) {
      const std::int64_t now = now_ns();
      if (!idle && !parser.in_body() && header_deadline == 0) header_deadline = now + ms_ns(o.header_timeout);
      const std::int64_t deadline = parser.in_body() ? body_deadline : header_deadline;
      wait = std::chrono::nanoseconds(deadline > now ? deadline - now : 0);
    }
    // idle: between requests, or the first one with nothing arrived yet. Such a wait holds
    // this frame only while few others do, and not for long; then the connection is parked.
    // (st->idle_frames counts the frames in such a wait; one destroyed in it, only at the
    // end of a runtime's drain period, is not uncounted.)
    bool may_park = false;
    if (idle) {
      // (A frame's first wait receives what woke it; and nothing parks with bytes queued.)
      if (st->idle_frames >= o.idle_frames && served_here != 0 && !has_queued(s)) [[unlikely]] {
        park_in = wait;
        break;
      }
      if (wait > o.park_after) {
        wait = o.park_after;
        may_park = true;
      }
      ++st->idle_frames;
    }
    // A graceful stop ends a keep-alive wait (lingering: a request already on its way reads as
    // a close, not a reset), never the wait for an accepted connection's first request.
    const bool keep_alive_wait = idle && served > 0;
    Result<RecvBuffer> r = co_await op_deadline(s.recv(), recv_timer, wait, /*stop=*/keep_alive_wait);
    if (idle) --st->idle_frames;
    if (!r) {
      if (keep_alive_wait && r.error() == errc::operation_canceled && stop_requested()) {
        closing = true;
        break;
      }
      if (r.error() != errc::timed_out) co_return;  // reset, or the runtime is stopping
      if (may_park) {  // waited park_after in this frame: park for the rest
        park_in = served == 0 ? std::chrono::nanoseconds(0) : std::chrono::nanoseconds(o.idle_timeout) - wait;
        break;
      }
      if (idle) {  // nothing of a request arrived: close quietly
        ++(served == 0 ? stats.header_timeouts : stats.idle_timeouts);
        co_return;
      }
      ++(parser.in_body() ? stats.body_timeouts : stats.header_timeouts);
      write_response(out, st->heads, Response::plain(408), WriteContext{1, false, false});
      stats.record(408, 0);
      closing = true;
      break;
    }
    if (r->empty()) co_return;  // the client closed
    buf = std::move(*r);
    in = buf.view();
  }
  if (park_in.count() >= 0) {  // idle, nothing held: this frame goes, the connection parks
    park_idle(slot, s, served, header_deadline, park_in);
    co_return;
  }
  const bool sent = co_await send_batch(s, out, o.send_timeout, stats);
  if (sent) co_await linger_close(s, o.linger_timeout, 256 * 1024);
}

}  // namespace coring::http::detail
