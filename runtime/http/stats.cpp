// ServerStats: recording a request, summing shards, and the Prometheus text exposition of every counter.
#include "coring/http/stats.hpp"

#include <fmt/format.h>

namespace coring::http {

void ServerStats::record(int status, std::uint64_t latency_ns) noexcept {
  if (status >= 100 && status < 600) ++requests_by_status[static_cast<std::size_t>(status)];
  ++requests;
  latency_sum_ns += latency_ns;
  const std::uint64_t us = latency_ns / 1000;
  std::size_t b = 0;
  while (b < kLatencyBoundsUs.size() && us > kLatencyBoundsUs[b]) ++b;
  ++latency_buckets[b];
}

ServerStats& ServerStats::operator+=(const ServerStats& o) noexcept {
  for (std::size_t i = 0; i < requests_by_status.size(); ++i) requests_by_status[i] += o.requests_by_status[i];
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) latency_buckets[i] += o.latency_buckets[i];
  latency_sum_ns += o.latency_sum_ns;
  requests += o.requests;
  connections_accepted += o.connections_accepted;
  connections_active += o.connections_active;
  connections_rejected += o.connections_rejected;
  connections_parked += o.connections_parked;
  header_timeouts += o.header_timeouts;
  body_timeouts += o.body_timeouts;
  idle_timeouts += o.idle_timeouts;
  send_timeouts += o.send_timeouts;
  parse_errors += o.parse_errors;
  response_batches += o.response_batches;
  return *this;
}

namespace {

/// `shard="i",` when labelling by shard (i >= 0), else nothing.
std::string shard_label(int i, bool alone) {
  if (i < 0) return {};
  return alone ? fmt::format("{{shard=\"{}\"}}", i) : fmt::format("shard=\"{}\",", i);
}

void render(std::string& out, std::span<const ServerStats> shards, bool by_shard) {
  auto it = std::back_inserter(out);
  const auto n = static_cast<int>(shards.size());
  auto label = [&](int i) { return by_shard ? i : -1; };
  out += "# HELP coring_http_requests_total Requests answered, by status code.\n"
         "# TYPE coring_http_requests_total counter\n";
  for (int i = 0; i < n; ++i)
    for (std::size_t s = 100; s < shards[i].requests_by_status.size(); ++s)
      if (shards[i].requests_by_status[s])
        fmt::format_to(it, "coring_http_requests_total{{{}code=\"{}\"}} {}\n", shard_label(label(i), false), s,
                       shards[i].requests_by_status[s]);
  out += "# HELP coring_http_request_duration_seconds Time from a complete request head to its queued response.\n"
         "# TYPE coring_http_request_duration_seconds histogram\n";
  for (int i = 0; i < n; ++i) {
    const ServerStats& st = shards[i];
    const std::string l = shard_label(label(i), false);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < ServerStats::kLatencyBoundsUs.size(); ++b) {
      cumulative += st.latency_buckets[b];
      fmt::format_to(it, "coring_http_request_duration_seconds_bucket{{{}le=\"{}\"}} {}\n", l,
                     ServerStats::kLatencyBoundsUs[b] / 1e6, cumulative);
    }
    cumulative += st.latency_buckets.back();
    fmt::format_to(it, "coring_http_request_duration_seconds_bucket{{{}le=\"+Inf\"}} {}\n", l, cumulative);
    const std::string alone = shard_label(label(i), true);
    fmt::format_to(it, "coring_http_request_duration_seconds_sum{} {}\n", alone, static_cast<double>(st.latency_sum_ns) / 1e9);
    fmt::format_to(it, "coring_http_request_duration_seconds_count{} {}\n", alone, st.requests);
  }
  auto family = [&](const char* name, const char* type, const char* help, std::uint64_t ServerStats::*field) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (int i = 0; i < n; ++i) fmt::format_to(it, "{}{} {}\n", name, shard_label(label(i), true), shards[i].*field);
  };
  family("coring_http_connections_accepted_total", "counter", "Connections accepted.", &ServerStats::connections_accepted);
  family("coring_http_connections_active", "gauge", "Connections open now.", &ServerStats::connections_active);
  family("coring_http_connections_parked", "gauge", "Open connections idle with no coroutine frame (parked).",
         &ServerStats::connections_parked);
  family("coring_http_connections_rejected_total", "counter", "Connections answered 503 over max_connections.",
         &ServerStats::connections_rejected);
  family("coring_http_parse_errors_total", "counter", "Requests rejected by the parser.", &ServerStats::parse_errors);
  family("coring_http_response_batches_total", "counter", "Sends carrying responses (a pipelined batch is one).",
         &ServerStats::response_batches);
  out += "# HELP coring_http_timeouts_total Connections closed by a timeout, by phase.\n"
         "# TYPE coring_http_timeouts_total counter\n";
  for (int i = 0; i < n; ++i) {
    const std::string l = shard_label(label(i), false);
    const ServerStats& st = shards[i];
    fmt::format_to(it, "coring_http_timeouts_total{{{}phase=\"header\"}} {}\n", l, st.header_timeouts);
    fmt::format_to(it, "coring_http_timeouts_total{{{}phase=\"body\"}} {}\n", l, st.body_timeouts);
    fmt::format_to(it, "coring_http_timeouts_total{{{}phase=\"idle\"}} {}\n", l, st.idle_timeouts);
    fmt::format_to(it, "coring_http_timeouts_total{{{}phase=\"send\"}} {}\n", l, st.send_timeouts);
  }
}

}  // namespace

void ServerStats::render_prometheus(std::string& out) const { render(out, std::span<const ServerStats>(this, 1), false); }

void render_prometheus_by_shard(std::string& out, std::span<const ServerStats> shards) { render(out, shards, true); }

}  // namespace coring::http
