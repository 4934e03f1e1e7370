// Shard-affinity checks: what a violation reports, and the hook tests use instead of abort().
#include "coring/detail/shard_check.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/core/loop.hpp"

namespace coring::detail {
namespace {
std::atomic<ShardViolationHook> g_hook{nullptr};

std::string where(const Loop* l) {
  return l ? "shard " + std::to_string(l->id()) : std::string("a thread outside the runtime");
}
}  // namespace

const Loop* current_loop() noexcept { return Loop::current(); }

void shard_violation(const char* what, const Loop* owner) noexcept {
  const std::string msg = std::string("coring: ") + what + " used on " + where(Loop::current()) + " but owned by " +
                          where(owner) + "; shard-local objects must be used and destroyed on their own shard";
  if (ShardViolationHook h = g_hook.load(std::memory_order_acquire)) {
    h(msg.c_str());
    return;
  }
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::abort();
}

ShardViolationHook set_shard_violation_hook(ShardViolationHook hook) noexcept {
  return g_hook.exchange(hook, std::memory_order_acq_rel);
}

bool shard_checks_enabled() noexcept {
#ifndef NDEBUG
  return true;
#else
  return false;
#endif
}

}  // namespace coring::detail
