// Mailbox parts: a bounded single-producer ring of cross-shard calls, and a lock-free stack of replies.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "coring/detail/cross_call.hpp"

namespace coring::detail {

/// Calls from one shard to another: one producer (the sending shard's
/// thread), one consumer (the receiving shard's). Bounded: push fails when
/// full and the sender parks its call until the receiver makes room.
class CallRing {
 public:
  explicit CallRing(uint32_t capacity) : cap_(capacity), slots_(std::make_unique<CrossCall*[]>(capacity)) {}

  bool push(CrossCall* c) noexcept {
    const uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) == cap_) return false;
    slots_[t % cap_] = c;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  CrossCall* pop() noexcept {
    const uint32_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_acquire)) return nullptr;
    CrossCall* c = slots_[h % cap_];
    head_.store(h + 1, std::memory_order_release);
    return c;
  }
  uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  bool full() const noexcept { return size() >= cap_; }

  /// The sender parked calls here and wants a wake-up when room appears.
  /// (seq_cst on both sides: the sender sets it then re-checks for room, the
  /// receiver pops then checks it, so one of them always sees the other.)
  std::atomic<bool> sender_waiting{false};

 private:
  alignas(64) std::atomic<uint32_t> head_{0};
  alignas(64) std::atomic<uint32_t> tail_{0};
  const uint32_t cap_;
  std::unique_ptr<CrossCall*[]> slots_;
};

/// Replies (finished calls) for one shard, pushed by any thread. Intrusive
/// through CrossCall::next, so it is bounded by the calls in flight.
class ReplyStack {
 public:
  void push(CrossCall* c) noexcept {
    CrossCall* h = head_.load(std::memory_order_relaxed);
    do c->next = h;
    while (!head_.compare_exchange_weak(h, c, std::memory_order_release, std::memory_order_relaxed));
  }
  /// Everything pushed so far, oldest first.
  CrossCall* take_all() noexcept {
    CrossCall* h = head_.exchange(nullptr, std::memory_order_acquire);
    CrossCall* fifo = nullptr;
    while (h) {
      CrossCall* n = h->next;
      h->next = fifo;
      fifo = h;
      h = n;
    }
    return fifo;
  }

 private:
  std::atomic<CrossCall*> head_{nullptr};
};

/// A FIFO of parked calls, linked through CrossCall::next; one thread only.
struct CallQueue {
  CrossCall* head = nullptr;
  CrossCall* tail = nullptr;
  std::size_t size = 0;
  void push(CrossCall* c) noexcept {
    c->next = nullptr;
    if (tail) tail->next = c;
    else head = c;
    tail = c;
    ++size;
  }
  CrossCall* pop() noexcept {
    CrossCall* c = head;
    if (c) {
      head = c->next;
      if (!head) tail = nullptr;
      --size;
    }
    return c;
  }
  /// Puts back a call just popped (its push elsewhere failed).
  void push_front(CrossCall* c) noexcept {
    c->next = head;
    head = c;
    if (!tail) tail = c;
    ++size;
  }
  bool empty() const noexcept { return head == nullptr; }
};

}  // namespace coring::detail
