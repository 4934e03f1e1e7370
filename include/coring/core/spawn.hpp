// spawn(): start a detached task whose lifetime the shard's runtime tracks.
#pragma once

#include "coring/core/task.hpp"

namespace coring {

/// Starts `task` on the current shard without awaiting it. The runtime keeps
/// track of it: when the runtime stops it cancels every spawned task, lets
/// them finish for the drain period, then destroys what is left, so nothing
/// leaks. An exception escaping a spawned task is logged, never lost silently.
void spawn(Task<> task);

/// spawn(), but `task` starts at once, on this thread, and runs until it first suspends
/// (spawn() queues it for the loop's next turn). For a park() handler: the task that
/// serves a woken stream then runs while its bytes are at hand, and one that finishes at
/// once frees its frame before the next stream's task needs one.
void spawn_now(Task<> task);

/// Number of spawned tasks alive on the current shard.
std::size_t spawned_count() noexcept;

}  // namespace coring
