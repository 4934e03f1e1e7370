// ServerStats: recording a request, and the Prometheus text exposition of every counter.
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

void ServerStats::render_prometheus(std::string& out) const {
  auto it = std::back_inserter(out);
  out += "# HELP coring_http_requests_total Requests answered, by status code.\n"
         "# TYPE coring_http_requests_total counter\n";
  for (std::size_t s = 100; s < requests_by_status.size(); ++s)
    if (requests_by_status[s]) fmt::format_to(it, "coring_http_requests_total{{code=\"{}\"}} {}\n", s, requests_by_status[s]);
  out += "# HELP coring_http_request_duration_seconds Time from a complete request head to its queued response.\n"
         "# TYPE coring_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kLatencyBoundsUs.size(); ++b) {
    cumulative += latency_buckets[b];
    fmt::format_to(it, "coring_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kLatencyBoundsUs[b] / 1e6, cumulative);
  }
  cumulative += latency_buckets.back();
  fmt::format_to(it, "coring_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  fmt::format_to(it, "coring_http_request_duration_seconds_sum {}\n", static_cast<double>(latency_sum_ns) / 1e9);
  fmt::format_to(it, "coring_http_request_duration_seconds_count {}\n", requests);
  auto gauge = [&](const char* name, const char* type, const char* help, std::uint64_t v) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  gauge("coring_http_connections_accepted_total", "counter", "Connections accepted.", connections_accepted);
  gauge("coring_http_connections_active", "gauge", "Connections open now.", connections_active);
  gauge("coring_http_connections_rejected_total", "counter", "Connections answered 503 over max_connections.",
        connections_rejected);
  gauge("coring_http_parse_errors_total", "counter", "Requests rejected by the parser.", parse_errors);
  gauge("coring_http_response_batches_total", "counter", "Sends carrying responses (a pipelined batch is one).",
        response_batches);
  out += "# HELP coring_http_timeouts_total Connections closed by a timeout, by phase.\n"
         "# TYPE coring_http_timeouts_total counter\n";
  fmt::format_to(it, "coring_http_timeouts_total{{phase=\"header\"}} {}\n", header_timeouts);
  fmt::format_to(it, "coring_http_timeouts_total{{phase=\"body\"}} {}\n", body_timeouts);
  fmt::format_to(it, "coring_http_timeouts_total{{phase=\"idle\"}} {}\n", idle_timeouts);
  fmt::format_to(it, "coring_http_timeouts_total{{phase=\"send\"}} {}\n", send_timeouts);
}

}  // namespace coring::http
