// spawn: detached tasks linked into their shard's list until they end.
#include "coring/core/spawn.hpp"

#include <exception>

#include "coring/time/timeout.hpp"
#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"

namespace coring {

// Detaches `task` and hands it to the current loop (started there at once when `now`).
static void spawn_detached(Task<> task, bool now) {
  auto h = task.release();
  if (!h) return;
  auto& p = h.promise();
  p.detached = true;
  p.self = h;
  p.cancel = &p.own_cancel;
  p.continuation = nullptr;
  detail::Loop::current()->spawn(h, &p, now);
}

void spawn(Task<> task) { spawn_detached(std::move(task), false); }

void spawn_now(Task<> task) { spawn_detached(std::move(task), true); }

namespace detail {
SpawnLink* spawn_internal(Task<> task) {
  auto h = task.release();
  auto& p = h.promise();
  p.detached = true;
  p.internal = true;
  p.self = h;
  p.cancel = &p.own_cancel;
  p.continuation = nullptr;
  Loop::current()->spawn(h, &p);
  return &p;
}
}  // namespace detail

std::size_t spawned_count() noexcept {
  auto* loop = detail::Loop::current();
  return loop ? loop->user_spawned() : 0;
}

namespace detail {

void SpawnLink::unlink() noexcept {
  prev->next = next;
  next->prev = prev;
  prev = next = nullptr;
  if (Loop* l = Loop::current()) l->spawn_unlinked(this);
}

void spawn_finished(SpawnLink* link, std::exception_ptr error) noexcept {
  if (!error) return;
  if (link && link->own_cancel.cancelled && is_cancellation(error)) {  // a cancelled task gave up a call: not an error
    log(LogLevel::debug, "cancelled task ended with operation_canceled");
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log(LogLevel::error, "spawned task ended with an exception: {}", e.what());
  } catch (...) {
    log(LogLevel::error, "spawned task ended with an unknown exception");
  }
}

}  // namespace detail
}  // namespace coring
