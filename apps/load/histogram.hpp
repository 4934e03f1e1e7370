// LatencyHistogram: a constant-memory, log-bucketed (HdrHistogram-style) histogram of 64-bit values.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace coring::apps {

/// Records unsigned 64-bit values (here: nanoseconds) with a bounded relative
/// error. Values below 2^kSubBits are kept exactly; above that every power of
/// two is split into 2^(kSubBits-1) equal sub-buckets, so a value is known to
/// within 1 / 2^(kSubBits-1) of itself (kSubBits = 8: 0.78%). The whole 64-bit
/// range fits in a fixed array: recording never allocates.
class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 8;
  static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;  // values below this are exact
  static constexpr uint64_t kHalf = kSubCount / 2;                // sub-buckets per power of two above that
  static constexpr std::size_t kBuckets = kSubCount + (64 - kSubBits) * kHalf;

  void record(uint64_t v) noexcept {
    ++counts_[index_of(v)];
    ++total_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  void merge(const LatencyHistogram& o) noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const noexcept { return total_; }
  uint64_t max() const noexcept { return total_ ? max_ : 0; }
  uint64_t min() const noexcept { return total_ ? min_ : 0; }
  double mean() const noexcept { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }

  /// The smallest recorded value v such that a fraction `q` (0..1) of the
  /// values are <= v, reported as the highest value of v's bucket (never more
  /// than the true maximum), as HdrHistogram does.
  uint64_t percentile(double q) const noexcept {
    if (total_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(highest_in(i), max_);
    }
    return max_;
  }

  /// Calls f(highest value of the bucket, count) for every non-empty bucket, lowest first.
  template <class F> void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < kBuckets; ++i)
      if (counts_[i]) f(highest_in(i), counts_[i]);
  }

  /// Bucket of `v`: exact below kSubCount, then kHalf buckets per power of two.
  static std::size_t index_of(uint64_t v) noexcept {
    if (v < kSubCount) return static_cast<std::size_t>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= kSubBits
    const unsigned shift = msb - (kSubBits - 1);                            // >= 1
    const uint64_t sub = v >> shift;                                        // in [kHalf, kSubCount)
    return static_cast<std::size_t>(kSubCount + (shift - 1) * kHalf + (sub - kHalf));
  }
  /// The smallest value that falls in bucket `i`.
  static uint64_t lowest_in(std::size_t i) noexcept {
    if (i < kSubCount) return i;
    const uint64_t k = i - kSubCount;
    const unsigned shift = static_cast<unsigned>(k / kHalf) + 1;
    const uint64_t sub = kHalf + k % kHalf;
    return sub << shift;
  }
  /// The largest value that falls in bucket `i`.
  static uint64_t highest_in(std::size_t i) noexcept {
    if (i < kSubCount) return i;
    if (i + 1 == kBuckets) return std::numeric_limits<uint64_t>::max();
    return lowest_in(i + 1) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace coring::apps
