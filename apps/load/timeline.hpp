// coring-load's timeline: what happened in each time bucket of the run (connects, failures, requests), written as CSV.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace coring::load {

/// Counts events per bucket of `bucket_ns` from `start_ns` (steady clock). Buckets grow
/// on demand; nothing is counted before start.
class Timeline {
 public:
  enum Kind : unsigned { connect, connect_failure, close, request, failed_request, kinds };

  Timeline(int64_t start_ns, int64_t bucket_ns) : start_(start_ns), bucket_(bucket_ns > 0 ? bucket_ns : 1) {}
  void add(Kind k, int64_t at_ns) {
    if (at_ns < start_) return;
    const auto i = static_cast<std::size_t>((at_ns - start_) / bucket_);
    if (i >= rows_.size()) rows_.resize(i + 1 + rows_.size() / 2, {});
    ++rows_[i][k];
    last_ = std::max(last_, i + 1);
  }
  /// "t_ms,connects,connect_failures,closes,requests,failed_requests", one row per bucket (t_ms: its start).
  bool write(const std::string& path) const;

 private:
  int64_t start_, bucket_;
  std::size_t last_ = 0;
  std::vector<std::array<uint32_t, kinds>> rows_;
};

}  // namespace coring::load
