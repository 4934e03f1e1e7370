// SlotPool: stable records that identify in-flight SQEs; they outlive awaiters that are destroyed early.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace coring::detail::uring {

/// What a CQE's user_data points to. A slot is freed only by its final CQE,
/// so the kernel never names freed memory; an owner that goes away first
/// clears `target` (the operation is then "ignored": its CQEs are absorbed).
struct Slot {
  // kNone: the driver's one slot for "nobody waits"; kWake: a MSG_RING from
  // another shard; kWakeFailed: this shard's MSG_RING failed (CQE only then).
  // kSend: a stream send, completed by StreamOps::send_complete without an
  // indirect call.
  // kOpen: a file open (a kOp whose fd is closed if its owner went away).
  // kSendFixed: a send from fixed buffer `buf` (pinned until the final CQE;
  // with `zc`, a zero-copy send whose notification CQE is the final one).
  enum Kind : uint8_t { kOp, kRecv, kAccept, kNone, kWake, kWakeFailed, kSend, kOpen, kSendFixed };
  Kind kind;
  bool zc = false;
  uint32_t buf = 0;
  void* target;  // Completion* (kOp, kSend*), Conn* (kRecv), ListenerState* (kAccept), Loop* (kWake*); null when orphaned
  union {
    Slot* next_free;  // while free
    void* conn;       // kSendFixed with zc: the Conn it holds a reference on, for the notification
  };
};

class SlotPool {
 public:
  Slot* get(Slot::Kind kind, void* target) {
    if (!free_) grow();
    return take(kind, target);
  }
  /// get() once has_free() said there is a free slot.
  Slot* take(Slot::Kind kind, void* target) noexcept {
    Slot* s = free_;
    free_ = s->next_free;
    s->kind = kind;
    s->target = target;
    return s;
  }
  bool has_free() const noexcept { return free_ != nullptr; }
  /// Makes sure get() will not allocate.
  void reserve() {
    if (!free_) grow();
  }
  void put(Slot* s) noexcept {
    s->next_free = free_;
    free_ = s;
  }

 private:
  [[gnu::noinline]] void grow() {
    constexpr std::size_t kChunk = 1024;
    chunks_.push_back(std::make_unique<Slot[]>(kChunk));
    Slot* c = chunks_.back().get();
    for (std::size_t i = 0; i < kChunk; ++i) {
      c[i].next_free = free_;
      free_ = &c[i];
    }
  }
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Slot* free_ = nullptr;
};

}  // namespace coring::detail::uring
