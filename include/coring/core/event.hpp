// Event: a shard-local wake-up flag that tasks co_await, set by another task of the same shard; no allocation.
#pragma once

#include <coroutine>
#include <cstdint>

#include "coring/core/cancel.hpp"
#include "coring/detail/shard_check.hpp"
#include "coring/result.hpp"

namespace coring {

class Event;

/// Awaiter of Event::wait(). Resumes with success once the event is set, or
/// with `errc::operation_canceled` when its task is cancelled or the event is
/// destroyed while it waits.
///
/// Lifecycle (the awaiter rule of docs/architecture.md; no kernel involved):
///
/// | state     | registered with                          | who wakes it                                  |
/// |-----------|------------------------------------------|-----------------------------------------------|
/// | ready     | nothing (the event is set, or cancelled) | -                                             |
/// | suspended | the event's waiter list, and armed in    | set() (unlinks, disarms, schedules),          |
/// |           | its task's cancel state                  | a cancel or ~Event (unlinks, schedules)       |
/// | abandoned | leaves the list and disarms itself       | -                                             |
class [[nodiscard]] EventWait : detail::Canceller {
 public:
  explicit EventWait(Event& e) noexcept : ev_(&e) {}
  EventWait(EventWait&& o) noexcept : ev_(o.ev_) {}  // movable before it is awaited only
  EventWait(const EventWait&) = delete;
  ~EventWait() {
    if (state_ == kWaiting) abandon();
  }

  inline bool await_ready() noexcept;
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return suspend(h, detail::cancel_target_of(h));
  }
  Result<void> await_resume() const noexcept {
    if (state_ == kCancelled) return errc::operation_canceled;
    return {};
  }

 private:
  friend class Event;
  enum : uint8_t { kIdle, kWaiting, kWoken, kCancelled };
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs) noexcept;
  void abandon() noexcept;  // destroyed while suspended
  static void on_cancel(detail::Canceller* c) noexcept;

  Event* ev_;
  EventWait* prev_ = nullptr;
  EventWait* next_ = nullptr;
  std::coroutine_handle<> waiter_;
  detail::CancelState* cancel_ = nullptr;
  uint8_t state_ = kIdle;
};

/// A flag that tasks of one shard wait on: `co_await ev.wait()` suspends
/// until another task calls `ev.set()`. set() never resumes a waiter inline:
/// it schedules it on the shard's ready queue, so the caller keeps running.
///
/// Two modes, chosen at construction:
/// - `Event::Mode::auto_reset` (the default): set() wakes the longest waiting
///   task only and leaves the event clear; with nobody waiting the event stays
///   set until one wait() takes it (and clears it). Setting an event already
///   set does nothing: wake-ups do not count up. Suits "there is work" signals
///   to one consumer.
/// - `Event::Mode::manual_reset`: set() wakes every waiter and the event stays
///   set, so later waits return at once, until `reset()`.
///
/// A wait that is cancelled (its task cancelled, with_timeout, with_cancel,
/// a graceful stop under cancel_on_stop) resumes with
/// `errc::operation_canceled` and takes nothing from the event. Destroying the
/// event while tasks wait resumes them with `errc::operation_canceled`.
/// Nothing is allocated: the waiters are linked through their awaiters.
/// Single-shard, like the tasks it wakes; not thread-safe.
class Event {
 public:
  enum class Mode : uint8_t { auto_reset, manual_reset };

  explicit Event(Mode mode = Mode::auto_reset) noexcept : manual_(mode == Mode::manual_reset) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  /// Suspends until the event is set (at once if it is set already).
  EventWait wait() noexcept { return EventWait(*this); }
  /// Sets the event and schedules its waiters (auto-reset: the first one only).
  void set() noexcept;
  /// Clears the event (a manual-reset event's way back; harmless on auto-reset).
  void reset() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }
  /// True while at least one task waits.
  bool has_waiters() const noexcept { return head_ != nullptr; }

 private:
  friend class EventWait;
  void link(EventWait* w) noexcept;
  void unlink(EventWait* w) noexcept;
  /// Debug builds: set() or a wait on another thread than the event's shard is reported.
  void check_owner() noexcept { owner_.check("an Event"); }

  EventWait* head_ = nullptr;
  EventWait* tail_ = nullptr;
  bool set_ = false;
  bool manual_;
  detail::ShardOwner owner_;
};

// Set: take it (auto-reset clears it) and do not suspend.
bool EventWait::await_ready() noexcept {
  if (!ev_->set_) return false;
  if (!ev_->manual_) ev_->set_ = false;
  return true;
}

}  // namespace coring
