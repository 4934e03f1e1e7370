// coring-load's reconnect delays: exponential backoff, capped, with optional full jitter, and the small PRNG it draws from.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace coring::load {

/// splitmix64: a fast, well-mixed 64-bit generator; `s` is its whole state.
inline uint64_t splitmix64(uint64_t& s) noexcept {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The delay before reconnect attempt n (0, 1, 2, ... since the last success):
/// cap_n = min(max, min * 2^n); without jitter the delay is cap_n, with full jitter
/// a uniform draw from [0, cap_n] ("full jitter": clients that lost their connection
/// at the same moment come back spread over the whole window, not in step).
class Backoff {
 public:
  using ns = std::chrono::nanoseconds;
  Backoff(ns min, ns max, bool jitter, uint64_t seed) noexcept
      : min_(std::max(min, ns(1))), max_(std::max(max, min_)), jitter_(jitter), rng_(seed) {}

  /// The delay before the next attempt; each call counts one attempt.
  ns next() noexcept {
    const ns cap = cap_at(attempt_);
    if (attempt_ < 63) ++attempt_;
    if (!jitter_) return cap;
    const auto span = static_cast<uint64_t>(cap.count()) + 1;
    return ns(static_cast<int64_t>(splitmix64(rng_) % span));  // modulo bias < 2^-30 for spans < 2^34 ns
  }
  /// After a successful connect: the next loss starts again at attempt 0.
  void reset() noexcept { attempt_ = 0; }
  unsigned attempt() const noexcept { return attempt_; }
  /// min(max, min * 2^n), without overflow.
  ns cap_at(unsigned n) const noexcept {
    ns cap = min_;
    for (unsigned i = 0; i < n && cap < max_; ++i) cap = cap > max_ / 2 ? max_ : cap * 2;
    return std::min(cap, max_);
  }

 private:
  ns min_, max_;
  bool jitter_;
  uint64_t rng_;
  unsigned attempt_ = 0;
};

}  // namespace coring::load
