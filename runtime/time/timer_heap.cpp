// TimerHeap implementation.
#include "runtime/time/timer_heap.hpp"

namespace coring::detail {

void TimerHeap::add(TimerNode* t) {
  heap_.push_back(t);
  place(static_cast<uint32_t>(heap_.size() - 1), t);
  sift_up(t->heap_index);
}

void TimerHeap::remove(TimerNode* t) noexcept {
  uint32_t i = t->heap_index;
  if (i == TimerNode::kNotQueued) return;
  t->heap_index = TimerNode::kNotQueued;
  TimerNode* last = heap_.back();
  heap_.pop_back();
  if (last == t) return;
  place(i, last);
  sift_up(i);
  sift_down(last->heap_index);
}

std::size_t TimerHeap::fire_due(int64_t now) {
  std::size_t n = 0;
  while (!heap_.empty() && heap_.front()->deadline <= now) {
    TimerNode* t = heap_.front();
    remove(t);
    t->fire(t);
    ++n;
  }
  return n;
}

void TimerHeap::sift_up(uint32_t i) noexcept {
  TimerNode* t = heap_[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline <= t->deadline) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerHeap::sift_down(uint32_t i) noexcept {
  TimerNode* t = heap_[i];
  const uint32_t n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap_[c + 1]->deadline < heap_[c]->deadline) ++c;
    if (heap_[c]->deadline >= t->deadline) break;
    place(i, heap_[c]);
    i = c;
  }
  place(i, t);
}

}  // namespace coring::detail
