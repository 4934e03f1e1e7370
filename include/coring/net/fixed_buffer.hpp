// FixedBuffer: a buffer of the shard's registered (fixed) pool, owned by one holder, for sends and file reads without per-operation page pinning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "coring/result.hpp"

namespace coring {
namespace detail {
class FixedPool;
void fixed_release(FixedPool* pool, uint32_t index) noexcept;
}  // namespace detail

/// One buffer of the calling shard's fixed pool (RuntimeOptions::fixed_buffer_count
/// buffers of fixed_buffer_size bytes). On io_uring the pool is registered with
/// the ring (io_uring_register_buffers): File::read_at into it is
/// IORING_OP_READ_FIXED, and Stream::send_all of it is a send from registered
/// memory, zero-copy (IORING_OP_SEND_ZC) from RuntimeOptions::zero_copy_threshold
/// bytes. Where registration is refused (RLIMIT_MEMLOCK, an old kernel,
/// CORING_URING_OFF=fixed_buffers) and on epoll it is plain memory: the same
/// API works, registered() says which. Move-only; destroying it gives the
/// buffer back, but a zero-copy send keeps it out of the pool until the
/// kernel's notification that it let go, whatever happened to the task or
/// socket. Shard-local: use and destroy it on the shard that acquired it,
/// and not past the runtime.
class FixedBuffer {
 public:
  FixedBuffer() = default;
  FixedBuffer(detail::FixedPool* pool, uint32_t index, std::byte* data, uint32_t capacity, bool registered) noexcept
      : pool_(pool), data_(data), capacity_(capacity), index_(index), registered_(registered) {}
  FixedBuffer(FixedBuffer&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), data_(o.data_), capacity_(o.capacity_),
        size_(std::exchange(o.size_, 0)), index_(o.index_), registered_(o.registered_) {}
  FixedBuffer& operator=(FixedBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      data_ = o.data_;
      capacity_ = o.capacity_;
      size_ = std::exchange(o.size_, 0);
      index_ = o.index_;
      registered_ = o.registered_;
    }
    return *this;
  }
  FixedBuffer(const FixedBuffer&) = delete;
  FixedBuffer& operator=(const FixedBuffer&) = delete;
  ~FixedBuffer() { reset(); }

  /// A free buffer of the calling shard's pool, never waiting:
  /// `errc::no_buffer_space` when every buffer is held or still waits for a
  /// zero-copy notification (counted in RuntimeStats::fixed_buffer_exhausted;
  /// the pool is bounded, there is no queue), `operation_not_permitted`
  /// outside a runtime.
  static Result<FixedBuffer> try_acquire() noexcept;

  /// The whole buffer, to fill.
  std::span<std::byte> space() noexcept { return {data_, capacity_}; }
  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t capacity() const noexcept { return capacity_; }
  /// The bytes in use: what a send sends. Set by resize() or assign().
  std::size_t size() const noexcept { return size_; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  /// Sets size() (at most capacity()).
  void resize(std::size_t n) noexcept { size_ = static_cast<uint32_t>(n < capacity_ ? n : capacity_); }
  /// Copies `s` in (as much as fits) and sets size() to it.
  void assign(std::string_view s) noexcept;
  /// Whether the kernel knows this buffer (io_uring's fixed-buffer opcodes); false: plain memory.
  bool registered() const noexcept { return registered_; }
  uint32_t index() const noexcept { return index_; }
  explicit operator bool() const noexcept { return pool_ != nullptr; }
  /// Gives the buffer back now.
  void reset() noexcept {
    if (pool_) detail::fixed_release(std::exchange(pool_, nullptr), index_);
    size_ = 0;
  }

 private:
  detail::FixedPool* pool_ = nullptr;
  std::byte* data_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t index_ = 0;
  bool registered_ = false;
};

}  // namespace coring
