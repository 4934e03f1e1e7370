// yield_now(): let the shard's other tasks and I/O completions run before this task goes on.
#pragma once

#include <coroutine>

#include "coring/detail/loop_hooks.hpp"

namespace coring {

/// Awaiter returned by yield_now(). The task is queued behind the tasks that
/// are ready now and resumes on the shard's next loop turn, after that turn's
/// I/O completions and due timers: a task that finds its input always ready
/// (a client pipelining without pause) cannot keep the shard from the others.
/// Costs one ready-queue push and pop; no allocation, no system call. Not a
/// cancellation point: the task resumes on the next turn either way.
struct YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { detail::schedule(h); }
  void await_resume() const noexcept {}
};

/// Suspends the task until the shard's next loop turn (see YieldAwaiter).
inline YieldAwaiter yield_now() noexcept { return {}; }

}  // namespace coring
