// TimerHeap: a binary min-heap of intrusive TimerNodes with O(log n) removal.
#pragma once

#include <cstdint>
#include <vector>

#include "coring/detail/loop_hooks.hpp"

namespace coring::detail {

class TimerHeap {
 public:
  void add(TimerNode* t);
  void remove(TimerNode* t) noexcept;
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  int64_t next_deadline() const noexcept { return heap_.front()->deadline; }
  /// Pops and fires every timer due at `now`. Returns how many fired.
  std::size_t fire_due(int64_t now);

 private:
  void sift_up(uint32_t i) noexcept;
  void sift_down(uint32_t i) noexcept;
  void place(uint32_t i, TimerNode* t) noexcept {
    heap_[i] = t;
    t->heap_index = i;
  }
  std::vector<TimerNode*> heap_;
};

}  // namespace coring::detail
