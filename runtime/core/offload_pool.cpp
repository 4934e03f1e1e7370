// OffloadPool: worker threads take calls from a mutex-guarded FIFO and hand the results back to their shards.
#include "runtime/core/offload_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include "runtime/core/loop.hpp"
#include "runtime/core/shard_group.hpp"

namespace coring::detail {

OffloadPool::OffloadPool(ShardGroup& group, unsigned threads, uint32_t capacity, unsigned shards)
    : group_(group), threads_(threads ? threads : 1), capacity_(capacity ? capacity : 1), want_room_(shards, false) {}

OffloadPool::~OffloadPool() { join(); }

void OffloadPool::join() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

bool OffloadPool::try_push(CrossCall* c, unsigned shard) {
  {
    std::lock_guard lk(mu_);
    if (workers_.empty()) {
      // Started lazily: a runtime that never offloads has no extra threads.
      // The shards block the signals they handle; these threads inherit that.
      for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this] { worker(); });
    }
    if (queue_.size >= capacity_) {
      want_room_[shard] = true;
      return false;
    }
    queue_.push(c);
  }
  cv_.notify_one();
  return true;
}

void OffloadPool::worker() {
  ::pthread_setname_np(::pthread_self(), "coring-offload");
  sigset_t all;  // signals are shard 0's business
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Started from a pinned shard thread, it inherited that one CPU: take them all.
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : group_.cpus()) CPU_SET(c, &set);
  ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
  std::vector<unsigned> wake;
  for (;;) {
    CrossCall* c;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      c = queue_.pop();
      for (unsigned s = 0; s < want_room_.size(); ++s) {
        if (want_room_[s]) {
          want_room_[s] = false;
          wake.push_back(s);
        }
      }
    }
    for (unsigned s : wake) group_.loop(s).wake_from_any_thread();
    wake.clear();
    c->run(c);  // runs the function, then post_reply()
  }
}

}  // namespace coring::detail
