// RecvBuffer: received bytes lent from the shard's buffer pool, returned to it on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace coring {
namespace detail {
struct Conn;
void release_buffer(Conn* owner, uint16_t id) noexcept;
}  // namespace detail

/// Bytes that arrived on a Stream. The memory belongs to the shard's receive
/// pool (on io_uring: a registered provided-buffer ring); it goes back to the
/// pool when this object is destroyed, so keep it only as long as needed.
/// Each one counts against its stream's share of the pool
/// (RuntimeOptions::buffers_per_connection, even after the Stream is gone):
/// while the stream's tasks hold that many, its recv() fails with
/// `errc::no_buffer_space`; copy what you keep longer.
/// An empty RecvBuffer from `recv()` means the peer closed its side (EOF).
/// Shard-local: destroy it on the shard that received it.
class RecvBuffer {
 public:
  RecvBuffer() = default;
  RecvBuffer(detail::Conn* owner, uint16_t id, std::byte* data, uint32_t size) noexcept
      : owner_(owner), data_(data), size_(size), id_(id) {}
  RecvBuffer(RecvBuffer&& o) noexcept
      : owner_(std::exchange(o.owner_, nullptr)), data_(o.data_), size_(std::exchange(o.size_, 0)), id_(o.id_) {}
  RecvBuffer& operator=(RecvBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      owner_ = std::exchange(o.owner_, nullptr);
      data_ = o.data_;
      size_ = std::exchange(o.size_, 0);
      id_ = o.id_;
    }
    return *this;
  }
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;
  ~RecvBuffer() {
    if (owner_) detail::release_buffer(owner_, id_);
  }

  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  operator std::span<const std::byte>() const noexcept { return bytes(); }  // NOLINT

  /// Drops the first `n` bytes (for parsers that consume a prefix).
  void consume(std::size_t n) noexcept {
    n = n < size_ ? n : size_;
    data_ += n;
    size_ -= static_cast<uint32_t>(n);
  }
  /// Returns the memory to the pool now.
  void reset() noexcept {
    if (owner_) detail::release_buffer(std::exchange(owner_, nullptr), id_);
    size_ = 0;
  }

 private:
  detail::Conn* owner_ = nullptr;  // the connection it counts against (which lives until it is back)
  std::byte* data_ = nullptr;
  uint32_t size_ = 0;
  uint16_t id_ = 0;
};

}  // namespace coring
