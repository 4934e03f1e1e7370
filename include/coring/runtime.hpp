// Runtime: owns a shard's event loop and backend (io_uring proactor or epoll reactor) and runs tasks on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coring/core/shard.hpp"
#include "coring/core/task.hpp"
#include "coring/result.hpp"
#include "coring/runtime_stats.hpp"

namespace coring {

enum class Backend {
  automatic,  ///< io_uring when the kernel allows it, else epoll (logging why)
  uring,      ///< io_uring proactor; still falls back to epoll if it cannot be set up
  epoll,      ///< epoll reactor
};
/// "uring", "epoll" or "auto".
Result<Backend> parse_backend(std::string_view name);
std::string_view to_string(Backend b);

/// An optional feature of the running backend: in use, or why it is off.
struct BackendFeature {
  std::string name;     ///< as describe() and RuntimeOptions::uring_off name it
  bool on = false;
  std::string why_off;  ///< empty when on: "off by option", "the kernel lacks it ...", "canary failed: ..."
};

/// Everything configurable about a runtime; the defaults are safe.
struct RuntimeOptions {
  /// Shards: event loops, one thread each, pinned to successive CPUs of the
  /// process's affinity mask. 0: one per CPU the process may run on. Shard 0
  /// is the thread that calls block_on.
  unsigned shards = 0;
  bool pin_shards = true;
  Backend backend = Backend::automatic;
  /// io_uring submission queue entries (SQEs produced in one loop turn beyond
  /// this are flushed early).
  unsigned sq_entries = 4096;
  /// io_uring completion queue entries: multishot operations post many CQEs
  /// per SQE, so this is the in-flight bound, not the SQ size.
  unsigned cq_entries = 65536;
  /// Receive pool: buffer_count buffers of buffer_size bytes, shared by all
  /// connections of a shard. buffer_count is a power of two, at most 32768.
  uint32_t buffer_size = 4096;
  uint32_t buffer_count = 2048;
  /// A connection's bounded share of the pool: received buffers it may hold
  /// unconsumed before the runtime stops receiving for it (TCP flow control
  /// then pushes back on the peer).
  uint32_t buffers_per_connection = 8;
  /// Large receive buffers: where the backend can hand out parts of a buffer
  /// (io_uring with incremental buffer consumption, whose canary passed;
  /// epoll), the same pool memory is laid out as buffers of this size (a
  /// power of two, at most 64 KiB, smaller when the pool would have fewer
  /// than 4 * buffers_per_connection of them) and each receive takes one
  /// piece of one: a 16 KiB message arrives as one RecvBuffer, not four.
  /// The share (buffers_per_connection) then counts pieces. 0 (or the
  /// environment variable CORING_LARGE_BUFFERS=off): whole buffers of
  /// buffer_size. Runtime::features() says which is in use.
  uint32_t large_buffer_size = 65536;
  /// Parked streams (park()) whose handlers one loop turn runs at most; the rest of a
  /// burst of wake-ups wait for the next turns, in order. It bounds the tasks a burst
  /// starts at once (on io_uring a response's send completes a turn later, so each
  /// holds its frame until then). At least 1.
  uint32_t park_wakes_per_turn = 16;
  /// How long a stopping runtime lets cancelled spawned tasks finish.
  std::chrono::milliseconds drain_timeout{5000};
  /// Cross-shard calls in flight from one shard to another before the sender
  /// waits (each pair of shards has its own bounded mailbox ring).
  uint32_t mailbox_capacity = 256;
  /// The offload pool: threads (started on first use) and its queue bound.
  unsigned offload_threads = 2;
  uint32_t offload_queue = 256;
  /// Fixed (registered) buffers of the shard (FixedBuffer): count and size in
  /// bytes (rounded up to pages). On io_uring they are registered with the
  /// ring at start-up, which pins them (counted against RLIMIT_MEMLOCK
  /// without CAP_IPC_LOCK); where that fails they are plain memory. 0: none.
  uint32_t fixed_buffer_count = 8;
  uint32_t fixed_buffer_size = 256 * 1024;
  /// Sends from a FixedBuffer of at least this many bytes are zero-copy on
  /// io_uring (IORING_OP_SEND_ZC) until the kernel reports that it copied a
  /// connection's bytes anyway (loopback always does): that connection then
  /// sends by copy. 0: never zero-copy.
  uint32_t zero_copy_threshold = 16 * 1024;
  /// Batched waits (io_uring, Linux 6.12's min-wait; ignored on epoll). 0
  /// (the default): every wait returns at the first completion. Otherwise,
  /// after a busy loop turn (one that handled 4 completions or more) the
  /// shard's next wait lasts until its own timer ends it, `min_wait` or an
  /// eighth of a connection's mean time between receives if that is shorter,
  /// with at least one completion in (or until min_wait_completions are in).
  /// With DEFER_TASKRUN, peers' sends meanwhile wake nobody: under load,
  /// fewer sleeps and wake-ups per request, for the shard and for the peers.
  /// The pace (the eighth of the mean interval, over every connection that
  /// received) is measured every 2 ms; under 10 us the waits are plain, so
  /// few clients in lock-step with the shard, or a lone request, pay
  /// nothing. A `min_wait` under 10 us therefore never batches.
  /// Timers due sooner wait plainly. The environment variable
  /// CORING_MIN_WAIT_US sets it where this is 0.
  std::chrono::microseconds min_wait{0};
  uint32_t min_wait_completions = 16;
  /// io_uring features to leave off even where the kernel has them, by the
  /// names describe() uses, comma-separated: "defer_taskrun", "single_issuer",
  /// "coop_taskrun", "submit_all", "registered_ring_fd", "cqe_skip",
  /// "recv_byte_limit", "msg_ring", "recv_bundle", "incremental_buffers", "fixed_buffers", "send_zc", "min_wait",
  /// or "all". For tests of the older kernels'
  /// paths and for comparisons; describe() names what was turned off. The
  /// environment variable CORING_URING_OFF adds to it.
  std::string uring_off;
};

namespace detail {
class ShardGroup;
}

/// A thread-per-core runtime: `shards` event loops, each on its own pinned
/// thread with its own ring (or epoll instance), buffer pool and timers;
/// nothing on the hot path is shared between them. The thread that calls
/// block_on is shard 0; the others wait for work (cross-shard calls) between
/// runs. Create and use a Runtime from one thread.
class Runtime {
 public:
  explicit Runtime(RuntimeOptions opts = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs `main` on shard 0 (this thread) until it returns, then, on every
  /// shard at once, cancels the spawned tasks, drains them (drain_timeout)
  /// and destroys the rest.
  template <class T>
  T block_on(Task<T> main) {
    std::optional<detail::TaskResult<T>> out;
    run_root(wrap(std::move(main), out));
    if constexpr (!std::is_void_v<T>) return out->take();
  }

  /// Starts `fn()` (returning Task<>) as a spawned task on every shard, runs
  /// until SIGINT or SIGTERM, then stops gracefully: shutdown(drain_timeout),
  /// then the usual stop. A second signal during the drain ends the process
  /// at once. Returns 0, the process exit status. Call it before any other
  /// thread exists that could take the signals (it blocks them first).
  template <class F>
  int run_on_every_shard(F fn) {
    block_on(serve_until_signal([fn](unsigned) { return keep_alive(fn); }));
    return 0;
  }

  /// Graceful stop, called from the main task: every shard stops accepting
  /// (its listeners close, accept() returns operation_canceled), every
  /// cancel_on_stop scope is cancelled and stop_requested() turns true; then
  /// waits until no user task is left on any shard, or `grace` has passed.
  /// What is still running afterwards is cancelled when main returns.
  Task<> shutdown(std::chrono::milliseconds grace);

  /// Runs `fn` on shard `shard` (see coring::submit_to).
  template <class F>
  auto on_shard(unsigned shard, F fn) {
    return submit_to(shard, std::move(fn));
  }
  unsigned shards() const noexcept;

  /// The backend actually running (after any fallback).
  Backend backend() const noexcept;
  std::string_view backend_name() const noexcept;
  /// Why the runtime fell back to epoll; empty if it did not.
  const std::string& fallback_reason() const noexcept;
  /// Ring features in use, e.g. "defer_taskrun single_issuer buf_ring ...",
  /// then "(off by option: ...)" and "(off: name: why; ...)" for the rest.
  std::string describe() const;
  /// The backend's optional features, each in use or with why it is off (off
  /// by option, the kernel lacks it, its start-up canary failed). Empty on epoll.
  std::vector<BackendFeature> features() const;
  /// The calling shard's statistics (shard 0's when called from outside the
  /// runtime, e.g. after block_on). For every shard use all_shard_stats().
  RuntimeStats stats() const noexcept;
  const RuntimeOptions& options() const noexcept { return opts_; }

 private:
  template <class T>
  static Task<> wrap(Task<T> t, std::optional<detail::TaskResult<T>>& out) {
    out.emplace();
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
    } else {
      out->return_value(co_await std::move(t));
    }
  }
  void run_root(Task<> root);
  /// Runs fn() while owning its copy of fn: a coroutine lambda's captures
  /// live in the lambda object, which must outlive the task it started.
  template <class F>
  static Task<> keep_alive(F fn) {
    co_await fn();
  }
  Task<> serve_until_signal(std::function<Task<>(unsigned)> start);

  RuntimeOptions opts_;
  std::unique_ptr<detail::ShardGroup> group_;
};

/// The runtime the calling task runs on.
Runtime& runtime() noexcept;

}  // namespace coring
