// ShardMetrics: gathers each shard's HTTP counters on its own shard and renders them with the runtime statistics.
#include "metrics.hpp"

#include <fmt/format.h>

namespace coring::apps {

void render_runtime_stats(std::string& out, const std::vector<RuntimeStats>& shards) {
  struct Field {
    const char* name;
    const char* type;
    const char* help;
    uint64_t RuntimeStats::*member;
  };
  static constexpr Field kFields[] = {
      {"coring_runtime_loop_turns_total", "counter", "Event-loop iterations.", &RuntimeStats::loop_turns},
      {"coring_runtime_submit_syscalls_total", "counter", "io_uring_enter or epoll_wait calls.", &RuntimeStats::submit_syscalls},
      {"coring_runtime_batched_waits_total", "counter", "Waits for several completions (RuntimeOptions::min_wait).",
       &RuntimeStats::batched_waits},
      {"coring_runtime_ops_submitted_total", "counter", "Operations submitted (SQEs, or readiness-driven syscalls).",
       &RuntimeStats::ops_submitted},
      {"coring_runtime_completions_total", "counter", "Completions (CQEs, or readiness events).", &RuntimeStats::completions},
      {"coring_runtime_cq_overflows_total", "counter", "Completions that did not fit in the completion queue (overflowed or dropped).", &RuntimeStats::cq_overflows},
      {"coring_runtime_buffer_exhausted_total", "counter", "Receives that found the buffer pool empty.",
       &RuntimeStats::buffer_exhausted},
      {"coring_runtime_recv_paused_total", "counter", "Connections paused at their buffer share.", &RuntimeStats::recv_paused},
      {"coring_runtime_accept_backoffs_total", "counter", "Accept pauses after EMFILE/ENFILE/ENOMEM.",
       &RuntimeStats::accept_backoffs},
      {"coring_runtime_connections_accepted_total", "counter", "Connections accepted by the runtime.",
       &RuntimeStats::connections_accepted},
      {"coring_runtime_connections_open", "gauge", "Connections open now.", &RuntimeStats::connections_open},
      {"coring_runtime_connections_closed_total", "counter", "Connections closed.", &RuntimeStats::connections_closed},
      {"coring_runtime_buffers_in_use", "gauge", "Receive buffers lent out now.", &RuntimeStats::buffers_in_use},
      {"coring_runtime_mail_sent_total", "counter", "Cross-shard calls sent.", &RuntimeStats::mail_sent},
      {"coring_runtime_mail_received_total", "counter", "Cross-shard calls run for other shards.", &RuntimeStats::mail_received},
      {"coring_runtime_mailbox_full_waits_total", "counter", "Calls that waited for room in a full mailbox.",
       &RuntimeStats::mailbox_full_waits},
      {"coring_runtime_mailbox_depth", "gauge", "Calls queued in the shard's mailbox now.", &RuntimeStats::mailbox_depth},
      {"coring_runtime_parked_calls", "gauge", "Calls waiting for mailbox or offload-queue room now.",
       &RuntimeStats::parked_calls},
      {"coring_runtime_wakeups_sent_total", "counter", "Wake-ups sent to other shards.", &RuntimeStats::wakeups_sent},
      {"coring_runtime_offloads_total", "counter", "Functions sent to the offload pool.", &RuntimeStats::offloads},
      {"coring_runtime_offload_waits_total", "counter", "Offloads that waited for room in the pool's queue.",
       &RuntimeStats::offload_waits},
      {"coring_runtime_fixed_buffers_in_use", "gauge", "Fixed buffers held or pinned by a zero-copy send now.",
       &RuntimeStats::fixed_buffers_in_use},
      {"coring_runtime_fixed_buffer_exhausted_total", "counter", "Fixed-buffer acquires that found none free.",
       &RuntimeStats::fixed_buffer_exhausted},
      {"coring_runtime_zc_sends_total", "counter", "Zero-copy sends submitted.", &RuntimeStats::zc_sends},
      {"coring_runtime_zc_copied_total", "counter", "Zero-copy sends the kernel copied anyway.", &RuntimeStats::zc_copied},
      {"coring_runtime_zc_pending", "gauge", "Zero-copy notifications not received yet.", &RuntimeStats::zc_pending},
  };
  auto it = std::back_inserter(out);
  for (const Field& f : kFields) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
    for (const RuntimeStats& s : shards) fmt::format_to(it, "{}{{shard=\"{}\"}} {}\n", f.name, s.shard, s.*(f.member));
  }
}

// A label value: backslash, double quote and newline escaped (text format 0.0.4).
static std::string label_value(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '\\' || c == '"' || c == '\n') r += '\\';
    r += c == '\n' ? 'n' : c;
  }
  return r;
}

void render_backend_features(std::string& out, std::string_view backend, const std::vector<BackendFeature>& features) {
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "# HELP coring_runtime_backend_info The backend running (1).\n# TYPE coring_runtime_backend_info gauge\n"
                 "coring_runtime_backend_info{{backend=\"{}\"}} 1\n",
                 backend);
  if (features.empty()) return;
  fmt::format_to(it, "# HELP coring_runtime_feature Optional backend features: 1 in use; 0 off, the reason label says why.\n"
                     "# TYPE coring_runtime_feature gauge\n");
  for (const BackendFeature& f : features)
    fmt::format_to(it, "coring_runtime_feature{{feature=\"{}\",reason=\"{}\"}} {}\n", f.name, label_value(f.why_off),
                   f.on ? 1 : 0);
}

Task<std::string> ShardMetrics::render() const {
  // Copies of each shard's counters, each taken on its own shard. (Named: see the GCC 12 note in docs/http.md.)
  auto snapshot = [this](unsigned shard) {
    const http::ServerStats* s = shard < stats_.size() ? stats_[shard] : nullptr;
    return s ? *s : http::ServerStats{};
  };
  std::vector<http::ServerStats> http_stats = co_await on_all_shards(snapshot);
  std::vector<RuntimeStats> runtime_stats = co_await all_shard_stats();
  std::string out;
  http::render_prometheus_by_shard(out, http_stats);
  render_runtime_stats(out, runtime_stats);
  render_backend_features(out, runtime().backend_name(), runtime().features());
  co_return out;
}

}  // namespace coring::apps
