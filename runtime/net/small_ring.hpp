// SmallRing: a FIFO with a few slots inline that spills to the heap only when it must.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

namespace coring::detail {

/// FIFO of trivially copyable T. Holds N elements inline (an idle connection
/// pays no allocation); grows by doubling on the heap past that. `Index` counts
/// the elements held: a narrower one makes the ring smaller where the caller
/// bounds how many it holds (below its maximum).
template <class T, uint32_t N, class Index = uint32_t>
class SmallRing {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  SmallRing() = default;
  SmallRing(const SmallRing&) = delete;
  ~SmallRing() {
    if (data_ != inline_) delete[] data_;
  }
  bool empty() const noexcept { return size_ == 0; }
  uint32_t size() const noexcept { return size_; }
  /// The most elements it can hold.
  static constexpr uint32_t max_size() noexcept { return Index(~Index(0)); }
  T& front() noexcept { return data_[head_]; }
  void push(const T& v) {
    if (size_ == cap_) grow();
    data_[(head_ + size_) & (cap_ - 1)] = v;
    ++size_;
  }
  T pop() noexcept {
    T v = data_[head_];
    head_ = static_cast<Index>((head_ + 1) & (cap_ - 1));
    --size_;
    return v;
  }

 private:
  [[gnu::noinline]] void grow() {
    T* n = new T[cap_ * 2];
    for (uint32_t i = 0; i < size_; ++i) n[i] = data_[(head_ + i) & (cap_ - 1)];
    if (data_ != inline_) delete[] data_;
    data_ = n;
    head_ = 0;
    cap_ *= 2;
  }
  T inline_[N];
  T* data_ = inline_;
  Index head_ = 0;  // < cap_
  Index size_ = 0;
  uint32_t cap_ = N;
};

}  // namespace coring::detail
