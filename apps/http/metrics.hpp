// coring-http's /metrics across shards: every shard's HTTP counters and runtime statistics, labelled by shard.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "coring/coring.hpp"
#include "coring/http/stats.hpp"

namespace coring::apps {

/// Where each shard's server keeps its counters. Each shard attaches its own
/// at start-up; render() reads every shard's on that shard (submit_to), so no
/// counter is ever read from another thread.
class ShardMetrics {
 public:
  explicit ShardMetrics(unsigned shards) : stats_(shards, nullptr) {}
  /// Called on shard `shard`: its server's counters (alive as long as the server).
  void attach(unsigned shard, const http::ServerStats* s) noexcept { stats_[shard] = s; }
  /// The Prometheus text exposition of every shard (from a task on any shard of the runtime).
  Task<std::string> render() const;

 private:
  std::vector<const http::ServerStats*> stats_;
};

/// Appends the per-shard runtime statistics (all_shard_stats()) in the Prometheus text format.
void render_runtime_stats(std::string& out, const std::vector<RuntimeStats>& shards);

/// Appends the backend's optional features (Runtime::features()): 1 in use,
/// 0 off, with the reason in the `reason` label.
void render_backend_features(std::string& out, std::string_view backend, const std::vector<BackendFeature>& features);

}  // namespace coring::apps
