// FixedPool: a shard's registered (fixed) buffers: memory, who holds each one, and the kernel's pins of zero-copy sends.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "coring/runtime_stats.hpp"

namespace coring::detail {

class Driver;

/// `count` buffers of `size` bytes in one mapping, registered with the
/// driver when it can (Driver::register_fixed), else plain memory. A buffer
/// is free again only when its holder let go (release) and no operation of
/// the kernel pins it (pin/unpin): a zero-copy send keeps it until its
/// notification. Bounded: acquire() fails when none is free.
class FixedPool {
 public:
  FixedPool() = default;
  FixedPool(const FixedPool&) = delete;
  FixedPool& operator=(const FixedPool&) = delete;
  ~FixedPool();

  /// Maps the buffers and asks `d` to register them; `why` says why not.
  void init(Driver& d, uint32_t count, uint32_t size, RuntimeStats& stats);
  /// A free buffer's index, or -1.
  int64_t acquire() noexcept;
  /// The holder gave buffer `i` back.
  void release(uint32_t i) noexcept;
  /// The kernel uses buffer `i` until the matching unpin().
  void pin(uint32_t i) noexcept { ++pins_[i]; }
  void unpin(uint32_t i) noexcept;

  std::byte* data(uint32_t i) const noexcept { return mem_ + std::size_t(i) * size_; }
  uint32_t size() const noexcept { return size_; }
  uint32_t count() const noexcept { return count_; }
  bool registered() const noexcept { return registered_; }
  /// Why the buffers are plain memory (empty when registered).
  const std::string& why() const noexcept { return why_; }
  /// For describe(): "fixed_buffers=8x262144" or "fixed_buffers=plain (reason)".
  std::string describe() const;

 private:
  void give_back(uint32_t i) noexcept;
  std::byte* mem_ = nullptr;
  std::size_t bytes_ = 0;
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  bool registered_ = false;
  std::string why_;
  std::vector<uint32_t> free_;
  std::vector<uint16_t> pins_;   // in-flight kernel operations on each buffer
  std::vector<uint8_t> held_;    // a FixedBuffer owns it
  RuntimeStats* stats_ = nullptr;
};

}  // namespace coring::detail
