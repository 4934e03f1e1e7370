// ReadyQueue: a FIFO ring of coroutine handles to resume on the loop's next turn.
#pragma once

#include <coroutine>
#include <cstddef>
#include <vector>

namespace coring::detail {

class ReadyQueue {
 public:
  ReadyQueue() : buf_(256) {}
  void push(std::coroutine_handle<> h) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = h;
    ++size_;
  }
  std::coroutine_handle<> pop() noexcept {
    auto h = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return h;
  }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { head_ = size_ = 0; }

 private:
  [[gnu::noinline]] void grow() {
    std::vector<std::coroutine_handle<>> n(buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) n[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(n);
    head_ = 0;
  }
  std::vector<std::coroutine_handle<>> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace coring::detail
