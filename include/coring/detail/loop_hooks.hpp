// The few entry points into the shard's event loop that inline awaiters need.
#pragma once

#include <coroutine>
#include <cstdint>

namespace coring::detail {

/// Queues `h` to be resumed by the current shard's loop on its next turn.
void schedule(std::coroutine_handle<> h) noexcept;

/// A timer registered with the shard's timer heap; `fire` runs when it expires.
struct TimerNode {
  static constexpr uint32_t kNotQueued = ~0u;
  int64_t deadline = 0;  ///< steady-clock nanoseconds
  uint32_t heap_index = kNotQueued;
  void (*fire)(TimerNode*) = nullptr;
  bool queued() const noexcept { return heap_index != kNotQueued; }
};
void timer_add(TimerNode* t);
void timer_remove(TimerNode* t) noexcept;
/// The steady-clock time in nanoseconds (read afresh, so timers never fire early).
int64_t now_ns() noexcept;
/// The steady-clock time at which this loop turn's I/O wait returned (or of the
/// last now_ns()): no clock read, but older than now_ns() by the work done since
/// in this turn. For deadlines of seconds that may end that much early.
int64_t turn_ns() noexcept;

}  // namespace coring::detail
