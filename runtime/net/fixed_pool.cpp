// FixedPool and FixedBuffer: acquire, release, the kernel's pins, and registration with a stated fallback.
#include "runtime/net/fixed_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "coring/net/fixed_buffer.hpp"
#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"

namespace coring {
namespace detail {

FixedPool::~FixedPool() {
  // (The kernel holds its own page references for what it still sends.)
  if (mem_) ::munmap(mem_, bytes_);
}

void FixedPool::init(Driver& d, uint32_t count, uint32_t size, RuntimeStats& stats) {
  stats_ = &stats;
  if (count == 0 || size == 0) {
    why_ = "no fixed buffers (RuntimeOptions::fixed_buffer_count is 0)";
    return;
  }
  const std::size_t page = 4096;
  size = static_cast<uint32_t>((std::size_t(size) + page - 1) / page * page);
  bytes_ = std::size_t(count) * size;
  void* m = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    why_ = std::string("cannot map the fixed buffers: ") + std::strerror(errno);
    log(LogLevel::warn, "{}", why_);
    bytes_ = 0;
    return;
  }
  mem_ = static_cast<std::byte*>(m);
  count_ = count;
  size_ = size;
  free_.reserve(count);
  for (uint32_t i = count; i-- > 0;) free_.push_back(i);
  pins_.assign(count, 0);
  held_.assign(count, 0);
  std::vector<iovec> iov(count);
  for (uint32_t i = 0; i < count; ++i) iov[i] = {data(i), size};
  registered_ = d.register_fixed(iov.data(), count, why_);
  if (!registered_ && d.backend() == Backend::uring)
    log(LogLevel::info, "io_uring: fixed buffers are plain memory: {}", why_);
}

int64_t FixedPool::acquire() noexcept {
  if (free_.empty()) return -1;
  const uint32_t i = free_.back();
  free_.pop_back();
  held_[i] = 1;
  ++stats_->fixed_buffers_in_use;
  return i;
}

void FixedPool::release(uint32_t i) noexcept {
  held_[i] = 0;
  if (pins_[i] == 0) give_back(i);
}

void FixedPool::unpin(uint32_t i) noexcept {
  if (--pins_[i] == 0 && !held_[i]) give_back(i);
}

void FixedPool::give_back(uint32_t i) noexcept {
  free_.push_back(i);
  --stats_->fixed_buffers_in_use;
}

std::string FixedPool::describe() const {
  if (registered_) return "fixed_buffers=" + std::to_string(count_) + "x" + std::to_string(size_);
  if (count_ == 0) return "fixed_buffers=none";
  return "fixed_buffers=plain";
}

void fixed_release(FixedPool* pool, uint32_t index) noexcept { pool->release(index); }

}  // namespace detail

Result<FixedBuffer> FixedBuffer::try_acquire() noexcept {
  detail::Loop* loop = detail::Loop::current();
  if (!loop) return errc::operation_not_permitted;
  detail::FixedPool& p = loop->fixed();
  const int64_t i = p.acquire();
  if (i < 0) {
    ++loop->stats.fixed_buffer_exhausted;
    return errc::no_buffer_space;
  }
  const auto idx = static_cast<uint32_t>(i);
  return FixedBuffer(&p, idx, p.data(idx), p.size(), p.registered());
}

void FixedBuffer::assign(std::string_view s) noexcept {
  const std::size_t n = std::min(s.size(), std::size_t(capacity_));
  std::memcpy(data_, s.data(), n);
  size_ = static_cast<uint32_t>(n);
}

}  // namespace coring
