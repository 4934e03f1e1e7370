// BufferPool: allocation of the pool mapping and hand-back of lent buffers.
#include "runtime/net/buffer_pool.hpp"

#include <sys/mman.h>

#include <new>


namespace coring::detail {

BufferPool::BufferPool(uint32_t count, uint32_t size) : count_(count), size_(size) {
  // Pre-faulted: the pool is a fixed cost per shard, paid at start-up rather
  // than as page faults on the receive path (the io_uring ring cycles through
  // every buffer in FIFO order, so all of them are touched soon anyway).
  void* p = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(p);
  free_ = std::make_unique<uint16_t[]>(count);
  use_free_list();
}

BufferPool::~BufferPool() { ::munmap(base_, bytes()); }

void BufferPool::use_ring(void* ring) noexcept {
  ring_ = static_cast<BufRingEntry*>(ring);
  mask_ = count_ - 1;
  tail_ = 0;
  nfree_ = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    BufRingEntry* b = &ring_[i & mask_];
    b->addr = reinterpret_cast<uint64_t>(addr(static_cast<uint16_t>(i)));
    b->len = size_;
    b->bid = static_cast<uint16_t>(i);
  }
  tail_ = count_;
  __atomic_store_n(&ring_[0].resv, static_cast<uint16_t>(tail_), __ATOMIC_RELEASE);
}

void BufferPool::use_free_list() {
  ring_ = nullptr;
  in_use_ = 0;
  nfree_ = 0;
  for (uint32_t i = count_; i-- > 0;) free_[nfree_++] = static_cast<uint16_t>(i);
}

}  // namespace coring::detail
