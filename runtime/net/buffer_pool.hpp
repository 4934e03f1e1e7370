// BufferPool: a shard's receive buffers; on io_uring also the provided-buffer ring the kernel picks from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace coring::detail {

/// One entry of an io_uring provided-buffer ring (kernel ABI, struct
/// io_uring_buf). The ring's tail overlays entry 0's `resv`. Spelled out here
/// because <linux/io_uring.h>'s flexible-array macro shifts `bufs` by 8 bytes
/// when compiled as C++.
struct BufRingEntry {
  uint64_t addr;
  uint32_t len;
  uint16_t bid;
  uint16_t resv;
};
static_assert(sizeof(BufRingEntry) == 16);

/// `count` buffers of `size` bytes in one pre-faulted anonymous mapping. In ring mode the kernel takes buffers from a provided-buffer ring
/// and release() puts them back on its tail; otherwise (epoll) acquire() and
/// release() use a LIFO free list, which keeps the hot buffers few.
class BufferPool {
 public:
  BufferPool(uint32_t count, uint32_t size);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  std::byte* base() const noexcept { return base_; }
  std::size_t bytes() const noexcept { return std::size_t(count_) * size_; }
  uint32_t count() const noexcept { return count_; }
  uint32_t buffer_size() const noexcept { return size_; }
  std::byte* addr(uint16_t id) const noexcept { return base_ + std::size_t(id) * size_; }

  /// Switches to ring mode: `ring` has `count()` entries; all buffers go in.
  void use_ring(void* ring) noexcept;
  /// Back to free-list mode (the ring could not be used).
  void use_free_list();
  bool ring_mode() const noexcept { return ring_ != nullptr; }
  /// Ring mode: the kernel handed buffer `id` to us in a completion.
  void taken() noexcept { ++in_use_; }
  /// Free-list mode: a free buffer id, or -1 when the pool is exhausted.
  int acquire() noexcept {
    if (nfree_ == 0) return -1;
    ++in_use_;
    return free_[--nfree_];
  }
  [[gnu::always_inline]] void release(uint16_t id) noexcept {
    --in_use_;
    if (ring_) {
      // Every entry's len is size_ since use_ring(): the kernel does not write
      // entries of a ring without IOU_PBUF_RING_INC, so only addr and bid change.
      BufRingEntry* b = &ring_[tail_ & mask_];
      b->addr = reinterpret_cast<uint64_t>(addr(id));
      b->bid = id;
      ++tail_;
      __atomic_store_n(&ring_[0].resv, static_cast<uint16_t>(tail_), __ATOMIC_RELEASE);
    } else {
      free_[nfree_++] = id;
    }
  }
  uint32_t in_use() const noexcept { return in_use_; }
  uint32_t available() const noexcept { return count_ - in_use_; }
  /// Enough buffers came back to resume receivers paused on exhaustion.
  bool recovered() const noexcept { return available() >= count_ / 8; }

 private:
  std::byte* base_ = nullptr;
  uint32_t count_;
  uint32_t size_;
  uint32_t in_use_ = 0;
  BufRingEntry* ring_ = nullptr;
  uint32_t tail_ = 0;  // only its low 16 bits reach the kernel
  uint32_t mask_ = 0;
  std::unique_ptr<uint16_t[]> free_;  // free-list mode: ids, count() capacity
  uint32_t nfree_ = 0;
};

}  // namespace coring::detail
