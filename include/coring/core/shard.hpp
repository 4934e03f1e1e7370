// Shards: which shard a task runs on, and running work on another shard (cross-core messages).
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "coring/core/task.hpp"
#include "coring/core/when_all.hpp"
#include "coring/detail/cross_call.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "coring/detail/remote_call.hpp"
#include "coring/runtime_stats.hpp"

namespace coring {

/// The index of the shard the calling task runs on (0 outside a runtime).
unsigned this_shard() noexcept;
/// How many shards the current runtime has (1 outside a runtime).
unsigned shard_count() noexcept;

/// Runs `fn()` on shard `shard` and returns its result on the caller's shard.
/// `fn` may return a value, void, or a Task<T> (awaited on the target shard).
/// Exceptions travel back and are rethrown here; errors travel as values
/// (return a Result<T>). On another shard the request goes through that
/// shard's bounded mailbox and wakes it (IORING_OP_MSG_RING on io_uring, an
/// eventfd on epoll); while the mailbox is full the caller waits
/// (backpressure). On the caller's own shard `fn` simply runs.
///
/// Abandonable: cancelling the caller (with_timeout, with_cancel, a
/// graceful stop...) while the target has not started `fn` (it is busy, or
/// the mailbox is full) resumes the caller at once, and `fn` never runs. The
/// caller then gets errc::operation_canceled for a Result<T>, nothing for
/// void, and a thrown std::system_error(operation_canceled) for any other T
/// (with_timeout turns each into errc::timed_out). A plain function that has
/// started cannot yield: the caller waits for it and gets its result. A
/// Task body that has started is cancelled (what it awaits resumes with
/// operation_canceled) and abandoned: the caller resumes at once and the
/// body's result, when it comes, is dropped.
/// `fn` is moved to a state the two shards share and invoked on the target:
/// it must not touch the caller's shard-local state, and what a Task body
/// captures by reference must outlive it even if the caller gives up
/// (capture by value what the caller owns). One allocation per call to
/// another shard.
template <class F>
Task<detail::call_result_t<F>> submit_to(unsigned shard, F fn) {
  if (shard == this_shard()) {
    if constexpr (detail::is_task<std::invoke_result_t<F&>>::value) {
      co_return co_await fn();
    } else {
      co_return fn();
    }
  } else {
    co_return co_await detail::RemoteCall<F>(shard, fn);
  }
}

/// Runs `fn(shard)` on every shard concurrently and waits for all of them
/// (results in shard order; void results as std::monostate).
template <class F>
auto on_all_shards(F fn) {
  using R = typename detail::unwrap_task<std::invoke_result_t<F&, unsigned>>::type;
  std::vector<Task<R>> calls;
  for (unsigned i = 0, n = shard_count(); i < n; ++i) calls.push_back(submit_to(i, [fn, i] { return fn(i); }));
  return when_all(std::move(calls));
}

/// The statistics of the calling shard.
RuntimeStats this_shard_stats() noexcept;
/// One snapshot of every shard's statistics, each read on its own shard (index = shard).
Task<std::vector<RuntimeStats>> all_shard_stats();
/// The sum of per-shard statistics (the `shard` field of the result is ignored).
RuntimeStats total(const std::vector<RuntimeStats>& shards) noexcept;

}  // namespace coring
