// ParkPool: one shard's records of parked streams (park()), in chunks with a free list, so a parked stream costs 56 bytes and no malloc header; and the FIFO of those due to be woken.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "coring/detail/loop_hooks.hpp"
#include "coring/net/park.hpp"

namespace coring::detail {

struct Conn;

/// A parked stream: its connection (holding the Stream's reference), the handler and its
/// two words, and the timer node of its timeout. Free while `conn` is null; then `context`
/// links the free list. Due (its stream readable, waiting in the pool's FIFO for its turn
/// to be woken) while `heap_index` is kDue: it is then out of the timer heap, and its
/// `deadline` holds the FIFO's link (so the FIFO costs no memory of its own).
struct ParkRecord : TimerNode {
  static constexpr uint32_t kDue = kNotQueued - 1;
  bool due() const noexcept { return heap_index == kDue; }
  Conn* conn = nullptr;
  ParkHandler handler = nullptr;
  void* context = nullptr;
  std::uint64_t cookie = 0;
};
static_assert(sizeof(ParkRecord) == 56);

class ParkPool {
 public:
  ParkRecord* take() {
    if (!free_) grow();
    ParkRecord* r = free_;
    free_ = static_cast<ParkRecord*>(r->context);
    ++used_;
    return r;
  }
  void put(ParkRecord* r) noexcept {
    r->conn = nullptr;
    r->heap_index = TimerNode::kNotQueued;
    r->context = free_;
    free_ = r;
    --used_;
  }
  std::size_t used() const noexcept { return used_; }

  /// The FIFO of due records (ParkRecord::kDue), woken a bounded number per loop turn;
  /// linked through their `deadline`.
  void push_due(ParkRecord* r) noexcept {
    r->heap_index = ParkRecord::kDue;
    r->deadline = 0;
    if (due_tail_) due_tail_->deadline = reinterpret_cast<std::intptr_t>(r);
    else due_head_ = r;
    due_tail_ = r;
  }
  bool has_due() const noexcept { return due_head_ != nullptr; }
  ParkRecord* pop_due() noexcept {
    ParkRecord* r = due_head_;
    due_head_ = reinterpret_cast<ParkRecord*>(r->deadline);
    if (!due_head_) due_tail_ = nullptr;
    r->heap_index = TimerNode::kNotQueued;
    return r;
  }
  /// Empties the FIFO (its records stay in use: the shard's stop wakes them all).
  void clear_due() noexcept {
    while (has_due()) pop_due();
  }
  /// Calls `f` on every record in use (records taken meanwhile may or may not be seen).
  template <class F>
  void for_each_used(F&& f) {
    for (std::size_t c = 0; c < chunks_.size(); ++c)
      for (std::size_t i = 0; i < kChunk; ++i)
        if (chunks_[c][i].conn) f(&chunks_[c][i]);
  }

 private:
  static constexpr std::size_t kChunk = 256;
  [[gnu::noinline]] void grow() {
    chunks_.push_back(std::make_unique<ParkRecord[]>(kChunk));
    ParkRecord* c = chunks_.back().get();
    for (std::size_t i = kChunk; i-- > 0;) {
      c[i].context = free_;
      free_ = &c[i];
    }
  }
  std::vector<std::unique_ptr<ParkRecord[]>> chunks_;
  ParkRecord* free_ = nullptr;
  std::size_t used_ = 0;
  ParkRecord* due_head_ = nullptr;
  ParkRecord* due_tail_ = nullptr;
};

}  // namespace coring::detail
