// BufferPool: allocation of the pool mapping, its layouts (whole or large buffers) and the ring's initial fill.
#include "runtime/net/buffer_pool.hpp"

#include <sys/mman.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace coring::detail {

BufferPool::BufferPool(uint32_t count, uint32_t size)
    : map_bytes_(std::size_t(count) * std::bit_ceil(size)), count0_(count), size0_(size) {
  // (A piece is named by a 32-bit offset into the mapping.)
  if (map_bytes_ >= (std::size_t(1) << 32)) throw std::invalid_argument("receive pool larger than 4 GiB");
  // Pre-faulted: the pool is a fixed cost per shard, paid at start-up rather
  // than as page faults on the receive path (the io_uring ring cycles through
  // every buffer in FIFO order, so all of them are touched soon anyway).
  void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(p);
  layout(count, size);
}

BufferPool::~BufferPool() { ::munmap(base_, map_bytes_); }

void BufferPool::layout(uint32_t count, uint32_t size) {
  count_ = count;
  size_ = size;
  shift_ = static_cast<uint32_t>(std::countr_zero(std::bit_ceil(size)));
  bufs_ = std::make_unique<Buf[]>(count);
  free_ = std::make_unique<uint16_t[]>(count);
  use_free_list();
}

uint32_t BufferPool::large_wish(uint32_t option) noexcept {
  const char* env = std::getenv("CORING_LARGE_BUFFERS");
  return env && std::strcmp(env, "off") == 0 ? 0 : option;
}

const char* BufferPool::large_off_why(uint32_t option) noexcept {
  return option == 0 || large_wish(1) == 0 ? "off by option (large_buffer_size 0 or CORING_LARGE_BUFFERS=off)"
                                           : "the pool is too small for large buffers";
}

uint32_t BufferPool::large_size(uint32_t want, uint32_t share) const noexcept {
  if (want > 65536) want = 65536;
  uint32_t s = want ? std::bit_floor(want) : 0;
  // Enough buffers that a connection holding its whole share, each piece in
  // a buffer of its own, leaves most of the pool to the others.
  const std::size_t need = std::size_t(4) * (share ? share : 1);
  while (s > size0_ && map_bytes_ / s < need) s /= 2;
  return s > size0_ ? s : 0;
}

void BufferPool::use_large(uint32_t size) {
  if (size == 0) {
    layout(count0_, size0_);
    return;
  }
  const auto n = static_cast<uint32_t>(map_bytes_ / size);
  layout(std::bit_floor(n), size);
}

void BufferPool::use_ring(void* ring) noexcept {
  ring_ = static_cast<BufRingEntry*>(ring);
  mask_ = count_ - 1;
  nfree_ = 0;
  out_ = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    BufRingEntry* b = &ring_[i & mask_];
    b->addr = reinterpret_cast<uint64_t>(addr(static_cast<uint16_t>(i)));
    b->len = size_;
    b->bid = static_cast<uint16_t>(i);
    bufs_[i] = {1, 0};  // the kernel's
  }
  tail_ = count_;
  __atomic_store_n(&ring_[0].resv, static_cast<uint16_t>(tail_), __ATOMIC_RELEASE);
}

void BufferPool::use_free_list() {
  ring_ = nullptr;
  out_ = 0;
  pieces_ = 0;
  nfree_ = 0;
  for (uint32_t i = count_; i-- > 0;) {
    free_[nfree_++] = static_cast<uint16_t>(i);
    bufs_[i] = {0, 0};
  }
}

}  // namespace coring::detail
