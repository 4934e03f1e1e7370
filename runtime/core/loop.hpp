// Loop: one shard's event loop: ready queue, timers, spawned tasks, buffer pool, backend driver and mailbox.
#pragma once

#include <atomic>
#include <coroutine>
#include <memory>
#include <string>
#include <vector>

#include "coring/core/stop.hpp"
#include "coring/core/task.hpp"
#include "coring/runtime.hpp"
#include "runtime/core/driver.hpp"
#include "runtime/core/mailbox.hpp"
#include "runtime/core/ready_queue.hpp"
#include "runtime/net/buffer_pool.hpp"
#include "runtime/net/fixed_pool.hpp"
#include "runtime/net/park_pool.hpp"
#include "runtime/time/timer_heap.hpp"

namespace coring::detail {

class ShardGroup;
struct ListenerState;
struct Conn;

class Loop {
 public:
  Loop(const RuntimeOptions& opts, ShardGroup* group, unsigned id);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The loop of the calling thread (null outside a running runtime).
  static Loop* current() noexcept { return current_; }
  static void set_current(Loop* l) noexcept { current_ = l; }

  void set_driver(std::unique_ptr<Driver> d);
  Driver& driver() noexcept { return *driver_; }
  BufferPool& pool() noexcept { return pool_; }
  FixedPool& fixed() noexcept { return fixed_; }
  const RuntimeOptions& options() const noexcept { return opts_; }
  unsigned id() const noexcept { return id_; }
  ShardGroup* group() const noexcept { return group_; }

  void schedule(std::coroutine_handle<> h) { ready_.push(h); }
  TimerHeap& timers() noexcept { return timers_; }
  ParkPool& parks() noexcept { return parks_; }
  int64_t now() const noexcept { return now_; }
  void update_now() noexcept;

  /// Runs `root` until it finishes, then stops the shard's tasks (stop_tasks).
  void run_root(std::coroutine_handle<> root);
  /// A loop turn is run_ready() then poll_io(): resume ready tasks, then wait
  /// for I/O (bounded by the next timer), fire due timers and wake due parked
  /// streams (a bounded number per turn).
  void run_ready();
  /// Waits for I/O, bounded by the next timer and by `until` (absolute ns, -1: none).
  void poll_io(int64_t until = -1);
  /// The stop sequence, run by every shard at once at the end of block_on:
  /// cancel spawned tasks, let them finish within drain_timeout (serving
  /// cross-shard calls meanwhile, until every shard has drained and this
  /// one's offloads have returned), meet at a barrier after which nothing
  /// runs anywhere, destroy what is left, meet again.
  void stop_tasks(uint32_t epoch);

  /// Links a spawned task and queues it, or with `now` resumes it at once.
  void spawn(std::coroutine_handle<> h, SpawnLink* link, bool now = false);
  /// Spawned tasks that are user work (not the bodies of cross-shard calls).
  std::size_t user_spawned() const noexcept { return spawned_count_ - internal_count_; }
  void spawn_unlinked(const SpawnLink* link) noexcept {
    --spawned_count_;
    if (link->internal) --internal_count_;
  }

  // --- cross-shard calls, offload and wake-ups ---
  void submit_call(unsigned shard, CrossCall* c);
  void submit_offload(CrossCall* c);
  void post_reply(CrossCall* c) noexcept { replies_.push(c); }
  /// Wakes `target` from this loop's thread (MSG_RING on io_uring, else its eventfd).
  void wake(Loop& target) noexcept;
  /// Wakes this loop from any thread (its eventfd); coalesced while one is pending.
  void wake_from_any_thread(bool force = false) noexcept;
  /// Writes every other shard's eventfd (after a failed MSG_RING).
  void wake_all_by_eventfd() noexcept;
  /// The driver saw a wake-up (a MSG_RING completion or the eventfd): mail is waiting.
  void note_wake() noexcept { woken_ = true; }

  // --- graceful stop ---
  /// Begins a graceful stop of this shard: closes its listeners (accept
  /// returns operation_canceled) and cancels every cancel_on_stop scope.
  void begin_graceful_stop();
  bool stopping() const noexcept { return stopping_; }
  /// stop_tasks() is running (spawned tasks are being cancelled and drained).
  bool draining() const noexcept { return draining_; }
  void stop_register(StopNode* n) noexcept;
  void stop_unregister(StopNode* n) noexcept;
  void listener_opened(ListenerState* l) { listeners_.push_back(l); }
  /// `c` has no references left but RecvBuffers still lent out: freed by the
  /// loop once they are all back (so the hand-back path tests nothing).
  void orphan(Conn* c) { orphans_.push_back(c); }
  void listener_released(ListenerState* l) noexcept;

  RuntimeStats stats;
  RuntimeStats snapshot_stats() noexcept;
  std::string fallback_reason;
  int64_t last_accept_warning = 0;  // rate limit of the accept back-off warning

 private:
  struct WakeOp : Completion {
    Loop* loop;
  };
  void arm_wake_poll();
  void process_mail();
  void retry_parked();
  void destroy_spawned() noexcept;
  static void dropped(CrossCall* c) noexcept;
  void sweep_orphans() noexcept;
  void wait_barrier(int k, uint32_t epoch);

  static thread_local Loop* current_;
  RuntimeOptions opts_;
  ShardGroup* group_;
  unsigned id_;
  BufferPool pool_;
  FixedPool fixed_;  // outlives the driver: its last completions unpin buffers
  std::unique_ptr<Driver> driver_;
  ReadyQueue ready_;
  TimerHeap timers_;
  ParkPool parks_;  // parked streams (park())
  SpawnLink spawned_;  // sentinel of a circular list
  std::size_t spawned_count_ = 0;
  std::size_t internal_count_ = 0;
  bool draining_ = false;  // stop_tasks() is running: new spawns start cancelled
  bool drain_over_ = false;  // past the drain period: new offloads are not started
  bool stopping_ = false;  // begin_graceful_stop() was called
  int64_t now_ = 0;

  // Mail: calls from other shards arrive in the group's rings; replies here.
  alignas(64) std::atomic<uint64_t> wake_pending_{0};  // one bit per waking shard, bit 63: other threads
  ReplyStack replies_;
  int wake_fd_ = -1;
  WakeOp wake_op_{};
  bool wake_armed_ = false;
  bool woken_ = false;
  std::vector<CallQueue> parked_calls_;  // per target shard: calls waiting for mailbox room
  CallQueue parked_offloads_;            // calls waiting for room in the offload queue
  std::size_t offloads_in_flight_ = 0;

  StopNode stop_list_;  // sentinel
  std::vector<ListenerState*> listeners_;
  std::vector<Conn*> orphans_;  // closed connections waiting for their lent buffers
};

}  // namespace coring::detail
