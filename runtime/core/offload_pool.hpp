// OffloadPool: a few threads that run blocking work for the shards, behind a bounded queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/core/mailbox.hpp"

namespace coring::detail {

class ShardGroup;

/// Threads start on first use. The queue holds at most `capacity` calls; a
/// shard whose push fails parks the call itself and asks to be woken when a
/// worker takes one (Loop::retry_offloads).
class OffloadPool {
 public:
  OffloadPool(ShardGroup& group, unsigned threads, uint32_t capacity, unsigned shards);
  ~OffloadPool();
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;

  /// Queues `c`; false when the queue is full (then `shard` will be woken
  /// once there is room).
  bool try_push(CrossCall* c, unsigned shard);
  /// Lets the workers finish what is queued, then ends them.
  void join();

 private:
  void worker();

  ShardGroup& group_;
  const unsigned threads_;
  const uint32_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  CallQueue queue_;
  std::vector<bool> want_room_;  // per shard
  std::vector<std::thread> workers_;
  bool stop_ = false;
};

}  // namespace coring::detail
