// Debug-build checks that shard-local objects (Stream, Listener, RecvBuffer, CancelSource, Event) stay on their shard.
#pragma once

namespace coring::detail {

class Loop;

/// The calling thread's shard (its loop), null outside a runtime.
const Loop* current_loop() noexcept;

/// Reports that `what` (owned by `owner`'s shard) was used on another
/// thread: calls the hook if one is set, otherwise prints the message and
/// aborts.
[[gnu::cold]] void shard_violation(const char* what, const Loop* owner) noexcept;

/// In builds without NDEBUG: reports a use of `what` off the shard `owner`.
/// Compiles to nothing with NDEBUG.
inline void check_shard([[maybe_unused]] const Loop* owner, [[maybe_unused]] const char* what) noexcept {
#ifndef NDEBUG
  if (owner != current_loop()) [[unlikely]] shard_violation(what, owner);
#endif
}

/// The shard a shard-local object (CancelSource, Event) belongs to: the one
/// whose thread made it or, made outside a runtime, the first that uses it.
/// Without NDEBUG, check() reports a use on any other thread. The same layout
/// in every build.
class ShardOwner {
 public:
  ShardOwner() noexcept {
#ifndef NDEBUG
    owner_ = current_loop();
#endif
  }
  void check([[maybe_unused]] const char* what) noexcept {
#ifndef NDEBUG
    const Loop* here = current_loop();
    if (!owner_) owner_ = here;
    else if (here != owner_) shard_violation(what, owner_);
#endif
  }

 private:
  const Loop* owner_ = nullptr;
};

/// For tests: called with the message instead of aborting (null restores
/// the abort). Returns the previous hook.
using ShardViolationHook = void (*)(const char* message);
ShardViolationHook set_shard_violation_hook(ShardViolationHook hook) noexcept;
/// Whether the library was built with the checks (without NDEBUG).
bool shard_checks_enabled() noexcept;

}  // namespace coring::detail
