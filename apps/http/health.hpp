// coring-http's readiness: /healthz answers 200 until the server starts draining, then 503 (a load balancer's cue).
#pragma once

#include <atomic>

namespace coring::apps {

/// Written once by the main task when a stop begins, read by /healthz on every shard.
class Health {
 public:
  void start_draining() noexcept { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> draining_{false};
};

}  // namespace coring::apps
