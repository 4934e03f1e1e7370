// coring-load's shared pieces: the run configuration, the counters every connection updates, and the protocol calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "coring/coring.hpp"
#include "histogram.hpp"
#include "timeline.hpp"

namespace coring::load {

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 7000;
  uint32_t connections = 100;
  uint32_t size = 64;
  double duration = 10.0;
  int64_t messages = -1;  // per connection; >= 0 replaces --duration
  double rate = 0;        // > 0: open loop at this many requests/s in total (latency from the intended send time)
  std::string backend = "uring";
  std::string sources;
  bool hold_idle = false;
  uint32_t active = 0;  // --hold-idle: connections that keep echoing meanwhile
  uint32_t batch = 500;
  bool ramp_echo = true;
  double connect_timeout = 15.0;
  double timeout = 30.0;    // grace after --duration (or the whole run with --messages)
  std::string format = "json";  // json | csv
  bool csv_header = false;      // with --format csv: print the header line first
  std::string cdf_path;         // write the latency distribution (value, fraction) here
  bool http = false;            // HTTP/1.1 GET instead of echo
  uint32_t pipeline = 1;        // --http: requests sent back to back per exchange
  std::string path = "/";       // --http: the request target
  int64_t expect_body = -1;     // --http: required Content-Length (-1: any)
  uint32_t renew = 0;           // --http --rate: replace each connection after this many requests (renew.cpp)
  bool reconnect = false;       // reconnect (with backoff) after a close or a failed connect
  double backoff_min_ms = 10;   // --reconnect: the first delay's cap, doubled per failed attempt
  double backoff_max_ms = 1000; // --reconnect: the largest delay
  bool jitter = true;           // --reconnect: full jitter (uniform in [0, cap]); --no-jitter: the cap
  std::string timeline_path;    // write per-bucket counts (connects, failures, requests) here
  double timeline_ms = 10;      // the bucket width
};

// Patterns: one shared block of pseudo-random bytes; message k of connection
// i is the window starting at an offset derived from (i, k), so every
// connection sends its own sequence and a stale or misrouted echo is caught.
constexpr std::size_t kWindow = 4096;

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Shared {
  const Config* cfg = nullptr;
  std::vector<std::byte> pattern;  // size + kWindow bytes
  std::string http_batch;          // --http: the pipelined requests of one exchange
  bool stop = false;
  apps::LatencyHistogram hist;
  uint64_t messages = 0;       // measured (after the ramp)
  uint64_t ramp_messages = 0;  // one per connection, during the ramp
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t connect_errors = 0;
  uint64_t verify_failures = 0;
  uint64_t unsent = 0;  // open loop: messages due before the end but not sent by then
  uint64_t failed_requests = 0;     // exchanges that got no (correct) answer
  uint64_t reconnects = 0;          // --reconnect: connections opened again
  uint64_t reconnect_failures = 0;  // --reconnect: attempts that failed (then backed off)
  uint64_t reported = 0;
  Timeline* timeline = nullptr;     // --timeline

  void mark(Timeline::Kind k) {
    if (timeline) timeline->add(k, now_ns());
  }

  std::span<const std::byte> message(uint32_t conn, uint64_t k) const {
    const uint64_t off = (uint64_t{conn} * 2654435761u + k * 40503u) % kWindow;
    return {pattern.data() + off, cfg->size};
  }
  /// Prints the first ten problems on stderr; the counters hold the totals.
  void report(const char* what, uint32_t conn, const std::string& why);
  /// True if a recv() result carries bytes; otherwise reports the error or
  /// the server's close and returns false.
  bool received(const Result<RecvBuffer>& chunk, uint32_t conn) {
    if (!chunk) report("recv", conn, chunk.error().message());
    else if (chunk->empty()) report("recv", conn, "server closed the connection");
    else return true;
    return false;
  }
};

/// closed: answered correctly, and the server closes the connection after it (Connection: close).
enum class Outcome { ok, closed, verify_failed, failed };

/// Adds a failed outcome to the error or verification counters.
void count(Shared& sh, Outcome o);

/// One verified exchange on connection `conn`: message k echoed (echo_exchange.cpp), or with
/// --http a batch of --pipeline requests, every response checked (http_exchange.cpp).
Task<Outcome> exchange(Stream& s, Shared& sh, uint32_t conn, uint64_t k);
Task<Outcome> http_exchange(Stream& s, Shared& sh, uint32_t conn);
std::string http_batch(const Config& cfg);

/// Opens connection `i` to `server` (from sources[i % n] if any are given) within --connect-timeout (connect.cpp).
Task<Result<Stream>> connect_one(const SocketAddress& server, const std::vector<SocketAddress>& sources, uint32_t i,
                                 const Config& cfg);

/// --reconnect (reconnect.cpp): runs `loop` (the connection's closed or open loop) on `s` while it
/// lasts; when the server closes it or an exchange fails, reconnects after a backoff (Backoff) and
/// runs `loop` again, until `end` or sh.stop.
Task<> reconnecting(Stream& s, Shared& sh, uint32_t conn, const SocketAddress& server,
                    const std::vector<SocketAddress>& sources, Clock::time_point end, std::function<Task<>()> loop);
/// The open loop's wait until a message is due. With --reconnect it watches `s` meanwhile
/// (a receive under a deadline), so a close is seen when it happens, as a client that
/// reads would see it: false, with `s` closed, if the server closed it (or the run was cancelled).
Task<bool> idle_until(Stream& s, Shared& sh, uint32_t conn, Clock::time_point due);
/// --reconnect: true (and `s` closed) if the server closed or reset `s` while it was idle, so the
/// next request goes on a new connection instead of failing; false without --reconnect.
bool lost(Stream& s, const Shared& sh);

/// Opens all streams[i] in batches, each proven by one exchange unless --no-ramp-echo (connect.cpp).
Task<> ramp(std::vector<Stream>& streams, const SocketAddress& server, const std::vector<SocketAddress>& sources,
            Shared& sh);

struct Report {
  uint32_t established = 0;
  double seconds = 0;
};

/// The output line (JSON or CSV) and the optional latency distribution file (report.cpp).
void print_report(const Shared& sh, const Report& rep, std::string_view backend);
bool write_cdf(const apps::LatencyHistogram& h, const std::string& path);

}  // namespace coring::load
