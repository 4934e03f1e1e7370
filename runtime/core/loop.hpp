// Loop: one shard's event loop: ready queue, timers, spawned tasks, buffer pool and backend driver.
#pragma once

#include <coroutine>
#include <memory>
#include <vector>

#include "coring/core/task.hpp"
#include "coring/runtime.hpp"
#include "runtime/core/driver.hpp"
#include "runtime/core/ready_queue.hpp"
#include "runtime/time/timer_heap.hpp"
#include "runtime/net/buffer_pool.hpp"

namespace coring::detail {

class Loop {
 public:
  explicit Loop(const RuntimeOptions& opts);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The loop of the calling thread (null outside a running runtime).
  static Loop* current() noexcept { return current_; }

  void set_driver(std::unique_ptr<Driver> d) noexcept { driver_ = std::move(d); }
  Driver& driver() noexcept { return *driver_; }
  bool has_driver() const noexcept { return driver_ != nullptr; }
  BufferPool& pool() noexcept { return pool_; }
  const RuntimeOptions& options() const noexcept { return opts_; }

  void schedule(std::coroutine_handle<> h) { ready_.push(h); }
  TimerHeap& timers() noexcept { return timers_; }
  int64_t now() const noexcept { return now_; }
  void update_now() noexcept;

  /// Runs `root` until it finishes, then cancels, drains and destroys spawned tasks.
  void run_root(std::coroutine_handle<> root);
  /// A loop turn is run_ready() then poll_io(): resume ready tasks, then wait
  /// for I/O (bounded by the next timer) and fire due timers.
  void run_ready();
  /// Waits for I/O, bounded by the next timer and by `until` (absolute ns, -1: none).
  void poll_io(int64_t until = -1);

  void spawn(std::coroutine_handle<> h, SpawnLink* link);
  std::size_t spawned() const noexcept { return spawned_count_; }
  void spawn_unlinked() noexcept { --spawned_count_; }

  RuntimeStats stats;
  std::string fallback_reason;
  int64_t last_accept_warning = 0;  // rate limit of the accept back-off warning

 private:
  void drain_spawned();

  static thread_local Loop* current_;
  RuntimeOptions opts_;
  BufferPool pool_;
  std::unique_ptr<Driver> driver_;
  ReadyQueue ready_;
  TimerHeap timers_;
  SpawnLink spawned_;  // sentinel of a circular list
  std::size_t spawned_count_ = 0;
  bool draining_ = false;  // drain_spawned() is running: new spawns start cancelled
  int64_t now_ = 0;
};

}  // namespace coring::detail
