// OutBuffer: a connection's queued response bytes; grows by doubling from a cached 1 KiB, keeps its capacity and some slack, never zero-fills.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#include "runtime/http/block_cache.hpp"

namespace coring::http::detail {

class OutBuffer {
 public:
  OutBuffer() = default;
  OutBuffer(const OutBuffer&) = delete;
  OutBuffer& operator=(const OutBuffer&) = delete;
  ~OutBuffer() { release(); }

  /// Bytes past the end that extend() always leaves writable, so that a short piece may be
  /// stored with one fixed-size copy of up to this many bytes (the excess is overwritten later).
  static constexpr std::size_t kSlack = 8;

  /// Makes room for `n` more bytes at the end and returns where they go (the caller fills all of them).
  char* extend(std::size_t n) {
    if (cap_ - size_ < n + kSlack) grow(size_ + n + kSlack);
    char* at = data_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view s) {
    if (!s.empty()) std::memcpy(extend(s.size()), s.data(), s.size());
  }
  std::string_view view() const noexcept { return {data_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }

 private:
  // The first 1 KiB comes from the shard's cache and goes back to it with the buffer.
  using Cache = BlockCache<char, 1024>;
  void grow(std::size_t need) {
    std::size_t cap = cap_ ? cap_ * 2 : 1024;
    while (cap < need) cap *= 2;
    std::unique_ptr<char[]> d(cap == 1024 ? Cache::take() : new char[cap]);
    if (!d) throw std::bad_alloc();
    if (size_) std::memcpy(d.get(), data_.get(), size_);
    release();
    data_ = std::move(d);
    cap_ = cap;
  }
  void release() noexcept {
    if (cap_ == 1024) Cache::give(data_.release());
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

}  // namespace coring::http::detail
