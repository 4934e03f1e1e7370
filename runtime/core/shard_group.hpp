// ShardGroup: the shards of one runtime: their threads, loops, mailboxes, offload pool and stop barriers.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coring/runtime.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/core/mailbox.hpp"
#include "runtime/core/offload_pool.hpp"

namespace coring::detail {

class ShardGroup {
 public:
  /// Creates shard 0's loop on the calling thread and starts one pinned
  /// thread per further shard, each setting up its own ring (or epoll).
  ShardGroup(const RuntimeOptions& opts, Runtime* owner);
  ~ShardGroup();
  ShardGroup(const ShardGroup&) = delete;
  ShardGroup& operator=(const ShardGroup&) = delete;

  unsigned size() const noexcept { return static_cast<unsigned>(loops_.size()); }
  Loop& loop(unsigned i) noexcept { return *loops_[i]; }
  Runtime& runtime() noexcept { return *owner_; }
  /// The mailbox ring carrying calls from shard `from` to shard `to`.
  CallRing& ring(unsigned from, unsigned to) noexcept { return *rings_[from * size() + to]; }
  OffloadPool& offload() noexcept { return offload_; }
  /// The CPUs the process may run on (shards are pinned to them in turn).
  const std::vector<int>& cpus() const noexcept { return cpus_; }

  /// Shard 0, after its root task ended: starts stop sequence number `epoch`
  /// (returned) on every shard.
  uint32_t begin_stop() noexcept;
  /// Barrier k (0, 1, 2) of stop sequence `epoch`: arrive, and whether every shard has.
  void arrive(int k, uint32_t epoch) noexcept;
  bool all_arrived(int k, uint32_t epoch) const noexcept;

  /// Shard 0's thread pinning, applied for the duration of block_on.
  void pin_caller(bool on) noexcept;

 private:
  void thread_main(unsigned i, Backend backend, std::atomic<int>& ready, std::string& error);
  static std::unique_ptr<Driver> make_driver(Loop& loop, Backend backend, std::string& why);

  RuntimeOptions opts_;
  Runtime* owner_;
  std::vector<int> cpus_;  // the CPUs this process may run on, in order
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::unique_ptr<CallRing>> rings_;
  OffloadPool offload_;
  std::vector<std::thread> threads_;
  std::atomic<uint32_t> epoch_{0};  // stop sequences started
  std::atomic<uint32_t> arrived_[3] = {0, 0, 0};
  std::atomic<bool> exit_{false};
  bool caller_pinned_ = false;
  std::vector<unsigned char> saved_mask_;  // the caller's CPU mask before pinning
};

}  // namespace coring::detail
