// The connection loop: RESP requests read with a BufferedReader, replies queued in an Outbox that sends them alongside.
#include "session.hpp"

#include <algorithm>

#include "commands.hpp"
#include "outbox.hpp"
#include "reply.hpp"

namespace kv {

using namespace coring;
namespace {

using namespace std::chrono_literals;

/// Requests one connection runs in a row before it yields the shard (about 0.1-0.3 ms of work).
constexpr unsigned kFairBatch = 256;

/// Keeps Counters::connected right however the session ends.
struct Connected {
  Counters& c;
  explicit Connected(Counters& k) : c(k) { c.connected.fetch_add(1, std::memory_order_relaxed); }
  ~Connected() { c.connected.fetch_sub(1, std::memory_order_relaxed); }
  Connected(const Connected&) = delete;
  Connected& operator=(const Connected&) = delete;
};

/// Reads `n` payload bytes and their "\r\n" larger than the reader may hold: copied into `big` piece
/// by piece. Each wait for more bytes ends after `idle` (when not zero).
Task<Result<std::string_view>> read_big(BufferedReader& in, std::size_t n, std::string& big, std::chrono::seconds idle) {
  big.clear();
  big.reserve(std::min<std::size_t>(n, 1u << 20));  // grows with what really arrives
  while (big.size() < n) {
    if (in.available() == 0) {
      Result<std::size_t> got = 0;
      if (idle.count() > 0) got = co_await with_timeout(in.fill(), idle);
      else got = co_await in.fill();
      if (!got) co_return got.error();
      if (*got == 0) co_return std::make_error_code(std::errc::connection_aborted);
    }
    std::string_view v = in.peek();
    const std::size_t k = std::min(v.size(), n - big.size());
    big.append(v.substr(0, k));
    in.consume(k);
  }
  co_return std::string_view(big);
}

/// Sends a last error and closes so that the client reads it: half-close, then discard what the
/// client still sends (bounded: 1 s, 1 MiB), since closing with unread input would reset the connection.
Task<> refuse(Stream& s, std::string_view text) {
  if (!co_await s.send_all(text)) co_return;
  s.shutdown(ShutdownHow::write);
  std::size_t discarded = 0;
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (discarded < (1u << 20)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) co_return;
    auto chunk = co_await cancel_on_stop(with_timeout(s.recv(), left));
    if (!chunk || chunk->empty()) co_return;
    discarded += chunk->size();
  }
}

/// Requests for one other shard sent in one cross-shard call at most.
constexpr std::size_t kMaxBatch = 64;

/// Copies request `args` (command `id`) into batch[n++] (reusing the slot's buffers).
void keep(std::vector<Remote>& batch, std::size_t& n, Cmd id, Args args) {
  if (n == batch.size()) batch.emplace_back();
  batch[n++].assign(id, args);
}

/// How a connection ended: whether the replies still queued should go out.
enum class End { flush, drop };

/// Reads and runs requests until the client quits or goes, a protocol error, a limit, or the server stops.
/// Replies go to `out`, whose sender runs beside this loop.
Task<End> serve(Server& srv, Stream& s, Outbox& out) {
  Counters& k = srv.counters;
  // Lines (and small bulk payloads) go through the reader, which bounds a line at max_inline;
  // larger payloads are copied out piece by piece (read_big).
  const std::size_t reader_limit = srv.cfg.limits.max_inline + 2;
  BufferedReader in(s, ReaderOptions{.max_buffered = reader_limit});
  RespParser parser(srv.cfg.limits);
  Client client;
  std::string big;
  const auto idle = std::chrono::seconds(srv.cfg.idle_timeout_s);
  const std::size_t out_limit = srv.cfg.client_output_limit;
  unsigned since_yield = 0;
  std::vector<Remote> batch;  // reused: its argument strings keep their capacity
  for (;;) {
    if (in.available() == 0) {  // the batch is answered: send it, then wait (idle) for the next
      out.send();
      Result<std::size_t> got = 0;
      if (idle.count() > 0) got = co_await cancel_on_stop(with_timeout(in.fill(), idle));
      else got = co_await cancel_on_stop(in.fill());
      if (!got) co_return End::drop;  // idle too long, an error, or the server stops
      if (*got == 0) co_return End::flush;  // the client has said all: answer it
    }
    if (out.failed()) co_return End::drop;
    if (out_limit > 0 && out.queued() > out_limit) {  // it sends and does not read: drop it
      k.output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
      co_return End::drop;
    }
    parser.reset();
    // Fast path: the whole request is already buffered in one piece (the usual case, pipelined or not).
    std::size_t used = 0;
    RespStep step = parser.parse_whole(in.peek(), used);
    if (step.kind != RespStep::need_line) in.consume(used);
    else parser.reset();  // it goes on past the buffer: read it piece by piece
    while (step.kind != RespStep::done && step.kind != RespStep::error) {
      // The idle timeout also bounds each wait inside a request (a client that stalls mid-request).
      // Not one ?: expression: GCC 12 miscompiles co_await inside ?:.
      Result<std::string_view> tok = std::string_view();
      if (step.kind == RespStep::need_line) {
        if (parser.at_request_start() && in.available() == 0) break;  // after "*0" or an empty line: idle again
        if (idle.count() > 0) tok = co_await with_timeout(in.read_until("\r\n"), idle);
        else tok = co_await in.read_until("\r\n");
        if (!tok && tok.error() == std::errc::message_size) {
          step = {RespStep::error, 0, "Protocol error: too big inline request"};
          break;
        }
        if (!tok || tok->empty()) co_return End::drop;  // closed (perhaps mid-request), or idle too long
        step = parser.on_line(tok->substr(0, tok->size() - 2));
      } else {
        const std::size_t n = step.bulk + 2;
        if (n > reader_limit) tok = co_await read_big(in, n, big, idle);
        else if (idle.count() > 0) tok = co_await with_timeout(in.read_exactly(n), idle);
        else tok = co_await in.read_exactly(n);
        if (!tok || tok->empty()) co_return End::drop;
        step = parser.on_bulk(*tok);
      }
    }
    if (step.kind == RespStep::need_line) continue;  // no request: back to waiting
    if (step.kind == RespStep::error) {  // answer, then close: the stream can no longer be framed
      std::string text;
      reply::error(text, "ERR " + std::string(step.message));
      if (co_await out.finish()) co_await refuse(s, text);
      co_return End::drop;
    }
    Cmd id{};
    if (const int target = remote_shard(srv, parser.args(), id); target >= 0) {
      // Keyed requests for another shard: this one and those pipelined right behind it for the
      // same shard go as one batch, so a pipeline pays one cross-shard round trip, not one each.
      std::size_t n = 0;
      keep(batch, n, id, parser.args());
      while (n < kMaxBatch && in.available() > 0) {
        parser.reset();
        std::size_t next = 0;
        if (parser.parse_whole(in.peek(), next).kind != RespStep::done || remote_shard(srv, parser.args(), id) != target)
          break;
        in.consume(next);  // taken; anything else is left for the next turn of this loop
        keep(batch, n, id, parser.args());
      }
      co_await execute_batch(srv, static_cast<unsigned>(target), std::span(batch.data(), n), out.buffer());
      since_yield += static_cast<unsigned>(n - 1);
    } else if (!execute_now(srv, client, parser.args(), out.buffer())) {
      co_await execute_spread(srv, client, parser.args(), out.buffer());
    }
    if (big.capacity() > reader_limit) std::string().swap(big);  // do not keep a large value's memory
    if (client.quit) co_return End::flush;
    // A client that pipelines without pause never makes fill() wait, so this loop would keep the
    // shard until its output limit: every kFairBatch requests, let its sender and the shard's
    // other connections run.
    if (++since_yield >= kFairBatch) {
      since_yield = 0;
      out.send();
      co_await yield_now();
    }
  }
}

}  // namespace

Task<> session(Server& srv, Stream s) {
  Counters& k = srv.counters;
  k.connections_received.fetch_add(1, std::memory_order_relaxed);
  Connected alive(k);
  if (srv.cfg.max_clients > 0 && k.connected.load(std::memory_order_relaxed) > srv.cfg.max_clients) {
    k.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    co_await refuse(s, "-ERR max number of clients reached\r\n");
    co_return;
  }
  Outbox out(s);
  const End end = co_await serve(srv, s, out);
  // A client that quit or half-closed gets the replies still queued, if it takes them soon;
  // one that went idle, broke the protocol or a limit, or a server that stops, drops them.
  if (end == End::flush) co_await cancel_on_stop(with_timeout(out.finish(), 5s));
  co_await out.abort();
}

}  // namespace kv
