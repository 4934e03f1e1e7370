// http::ServerStats: per-shard request counters by status, a latency histogram and connection counts.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace coring::http {

/// Counters of one server (one shard). Plain integers: only the shard's own
/// thread writes them; read them from that thread (e.g. in a /metrics handler).
struct ServerStats {
  /// Upper bounds of the latency buckets, in microseconds; the last bucket is +Inf.
  static constexpr std::array<std::uint32_t, 14> kLatencyBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000};

  std::array<std::uint64_t, 600> requests_by_status{};  ///< index: status code (100-599)
  std::array<std::uint64_t, kLatencyBoundsUs.size() + 1> latency_buckets{};  ///< not cumulative
  std::uint64_t latency_sum_ns = 0;
  std::uint64_t requests = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t connections_rejected = 0;  ///< answered 503: over max_connections
  std::uint64_t connections_parked = 0;    ///< of the active ones, idle with no frame (see ServerOptions::idle_frames)
  std::uint64_t header_timeouts = 0;       ///< 408 (or a silent close) while reading a head
  std::uint64_t body_timeouts = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t send_timeouts = 0;
  std::uint64_t parse_errors = 0;
  std::uint64_t response_batches = 0;      ///< send_all calls carrying responses (pipelined ones share one)

  /// Counts one answered request (its handling time from complete head to queued response).
  void record(int status, std::uint64_t latency_ns) noexcept;
  /// Appends the Prometheus text exposition (version 0.0.4) of every counter to `out`.
  void render_prometheus(std::string& out) const;
  /// Adds `o`'s counters to these (connections_active included: a sum over shards).
  ServerStats& operator+=(const ServerStats& o) noexcept;
};

/// The Prometheus text exposition of several servers' counters, one per shard:
/// every sample carries a `shard="i"` label (i = index in `shards`).
void render_prometheus_by_shard(std::string& out, std::span<const ServerStats> shards);

}  // namespace coring::http
