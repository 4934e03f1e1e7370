// CrossCall: a unit of work handed to another shard or to the offload pool, and the hooks that carry it.
#pragma once

#include <coroutine>

#include "coring/core/task.hpp"

namespace coring::detail {

class Loop;

/// Lives in the awaiting coroutine's frame (no allocation). `run` executes on
/// the target (a shard or an offload thread); the target then calls
/// post_reply(), which resumes `caller` on its own shard.
struct CrossCall {
  void (*run)(CrossCall*) = nullptr;
  std::coroutine_handle<> caller;
  Loop* origin = nullptr;
  CrossCall* next = nullptr;  ///< intrusive link: mailbox parking, reply stack, offload queue
  bool offload = false;       ///< runs on the offload pool (the shard waits for these before it stops)
  /// On the origin shard when the reply arrives; null: resume `caller`.
  void (*on_reply)(CrossCall*) = nullptr;
  /// A stopping runtime drops the call, or its reply, unread; null: nothing to do.
  void (*on_drop)(CrossCall*) = nullptr;
};

/// Sends `c` to shard `shard`'s mailbox, or parks it on the caller's shard
/// while that mailbox is full (backpressure); sets c->origin.
void submit_call(unsigned shard, CrossCall* c);
/// Queues `c` for the offload pool, or parks it while the pool's queue is full.
void submit_offload(CrossCall* c);
/// From the target: hands `c` back to its origin shard, which resumes c->caller.
/// `c` must not be touched afterwards.
void post_reply(CrossCall* c) noexcept;
/// Spawns a runtime-internal task (a remote call's body) on the current shard:
/// tracked and drained like spawn(), but not counted as user work by shutdown().
SpawnLink* spawn_internal(Task<> task);

}  // namespace coring::detail
