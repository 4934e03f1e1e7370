// BufferPool: a shard's receive buffers, handed out in pieces; on io_uring also the provided-buffer ring the kernel picks from.
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

/// The buffers of one pre-faulted anonymous mapping, lent out as pieces: a
/// piece is named by its first byte's offset in the mapping (buffer `id`
/// starts at `id << shift()`: buffers lie a power of two apart). A buffer holds one count per
/// piece alive (queued on a connection or lent as a RecvBuffer) plus one for
/// whoever still fills it (the kernel, for a buffer in the ring; the epoll
/// driver, for the buffer it reads into); it goes back when the count drops
/// to zero. With whole buffers (the default layout) each buffer holds at most
/// one piece, at offset 0; with large buffers (incremental consumption on
/// io_uring, large reads on epoll: use_large()) many.
///
/// In ring mode the kernel takes buffers from a provided-buffer ring and a
/// buffer goes back on its tail; otherwise (epoll) acquire() and the last
/// release use a LIFO free list, which keeps the hot buffers few.
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
  std::byte* addr(uint16_t id) const noexcept { return base_ + (std::size_t(id) << shift_); }
  /// log2 of the distance between buffers (buffer_size(), rounded up to a power of two).
  uint32_t shift() const noexcept { return shift_; }
  /// The first byte of piece `piece`, and the buffer it lies in.
  std::byte* piece_addr(uint32_t piece) const noexcept { return base_ + piece; }
  uint16_t piece_buffer(uint32_t piece) const noexcept { return static_cast<uint16_t>(piece >> shift_); }

  /// The size of a large buffer for this pool (a power of two of at most
  /// `want` and 64 KiB, with at least 4 * `share` of them in the mapping), or
  /// 0 when that is no larger than the buffers it has.
  uint32_t large_size(uint32_t want, uint32_t share) const noexcept;
  /// RuntimeOptions::large_buffer_size, or 0 when the environment variable
  /// CORING_LARGE_BUFFERS=off turns large buffers off.
  static uint32_t large_wish(uint32_t option) noexcept;
  /// Why large buffers are off for that option when large_size() gave 0.
  static const char* large_off_why(uint32_t option) noexcept;
  /// Lays the mapping out again as buffers of `size` bytes (large_size()),
  /// as many as fit, rounded down to a power of two; 0 goes back to the
  /// layout it was made with. Only while nothing is lent, before use_ring().
  void use_large(uint32_t size);
  bool large() const noexcept { return size_ != size0_; }

  /// Switches to ring mode: `ring` has `count()` entries; all buffers go in.
  void use_ring(void* ring) noexcept;
  /// Back to free-list mode (the ring could not be used).
  void use_free_list();
  bool ring_mode() const noexcept { return ring_ != nullptr; }

  /// Ring mode: a completion named buffer `id` with `len` (> 0) bytes; `more`
  /// (IORING_CQE_F_BUF_MORE, incremental consumption): the kernel goes on
  /// filling it, else the kernel is done with it and its count passes to
  /// this piece. Returns the piece.
  [[gnu::always_inline]] uint32_t from_kernel(uint16_t id, uint32_t len, bool more) noexcept {
    Buf& b = bufs_[id];
    const uint32_t piece = (uint32_t(id) << shift_) + b.filled;
    ++pieces_;
    if (more) {
      b.filled += len;
      ++b.held;
    } else {
      b.filled = 0;
      ++out_;
    }
    return piece;
  }
  /// Free-list mode: a free buffer id for the caller to fill (holding its
  /// count), or -1 when the pool is exhausted.
  int acquire() noexcept {
    if (nfree_ == 0) return -1;
    ++out_;
    const uint16_t id = free_[--nfree_];
    bufs_[id].held = 1;
    return id;
  }
  /// Free-list mode: one more piece of buffer `id`, which the caller fills.
  void carve(uint16_t id) noexcept {
    ++bufs_[id].held;
    ++pieces_;
  }
  /// A piece of buffer `id` came back.
  [[gnu::always_inline]] void release(uint16_t id) noexcept {
    --pieces_;
    drop(id);
  }
  /// The filler of buffer `id` (acquire()) lets go of it.
  [[gnu::always_inline]] void drop(uint16_t id) noexcept {
    if (--bufs_[id].held == 0) give_back(id);
  }
  /// Pieces alive (queued or lent).
  uint32_t in_use() const noexcept { return pieces_; }
  /// Buffers in the ring or the free list.
  uint32_t available() const noexcept { return count_ - out_; }
  /// Enough buffers came back to resume receivers paused on exhaustion.
  bool recovered() const noexcept { return available() >= count_ / 8; }

 private:
  struct Buf {
    uint32_t held = 0;    // pieces alive, plus one while the kernel or the driver fills it
    uint32_t filled = 0;  // ring mode: bytes the kernel has consumed of it (incremental)
  };
  [[gnu::always_inline]] void give_back(uint16_t id) noexcept {
    --out_;
    if (ring_) {
      // The kernel rewrites addr and len of a ring entry it consumes
      // incrementally: all three fields are written again.
      BufRingEntry* b = &ring_[tail_ & mask_];
      b->addr = reinterpret_cast<uint64_t>(addr(id));
      b->len = size_;
      b->bid = id;
      ++tail_;
      bufs_[id].held = 1;  // the kernel's
      __atomic_store_n(&ring_[0].resv, static_cast<uint16_t>(tail_), __ATOMIC_RELEASE);
    } else {
      free_[nfree_++] = id;
    }
  }
  void layout(uint32_t count, uint32_t size);

  std::byte* base_ = nullptr;
  std::size_t map_bytes_;
  uint32_t count0_, size0_;  // the layout it was made with
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  uint32_t shift_ = 0;
  uint32_t out_ = 0;     // buffers neither in the ring nor in the free list
  uint32_t pieces_ = 0;  // pieces alive
  BufRingEntry* ring_ = nullptr;
  uint32_t tail_ = 0;  // only its low 16 bits reach the kernel
  uint32_t mask_ = 0;
  std::unique_ptr<Buf[]> bufs_;
  std::unique_ptr<uint16_t[]> free_;  // free-list mode: ids, count() capacity
  uint32_t nfree_ = 0;
};

}  // namespace coring::detail
