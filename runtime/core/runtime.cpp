// Runtime: starts the shards (backend choice and fallback on shard 0), runs the root task, and stops gracefully.
#include "coring/runtime.hpp"

#include <signal.h>

#include <chrono>

#include "coring/core/spawn.hpp"
#include "coring/signal.hpp"
#include "coring/time/sleep.hpp"
#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/core/shard_group.hpp"

namespace coring {

Result<Backend> parse_backend(std::string_view name) {
  if (name == "uring" || name == "io_uring") return Backend::uring;
  if (name == "epoll") return Backend::epoll;
  if (name == "auto" || name == "automatic") return Backend::automatic;
  return errc::invalid_argument;
}

std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::uring: return "uring";
    case Backend::epoll: return "epoll";
    default: return "auto";
  }
}

Runtime::Runtime(RuntimeOptions opts) : opts_(opts), group_(std::make_unique<detail::ShardGroup>(opts, this)) {
  // One start-up line: backend, shards, ring features, and the fallback reason if any.
  detail::log(detail::LogLevel::info, "backend {}, {} shard{}, {}{}{}", backend_name(), shards(),
              shards() == 1 ? "" : "s", describe(), fallback_reason().empty() ? "" : "; fallback because: ",
              fallback_reason());
}

Runtime::~Runtime() = default;

void Runtime::run_root(Task<> root) {
  group_->pin_caller(true);
  group_->loop(0).run_root(root.handle());
  group_->pin_caller(false);
  root.handle().promise().result();  // rethrows what escaped the root task
}

unsigned Runtime::shards() const noexcept { return group_->size(); }
Backend Runtime::backend() const noexcept { return group_->loop(0).driver().backend(); }
std::string_view Runtime::backend_name() const noexcept { return to_string(backend()); }
const std::string& Runtime::fallback_reason() const noexcept { return group_->loop(0).fallback_reason; }
std::string Runtime::describe() const { return group_->loop(0).driver().describe(); }
std::vector<BackendFeature> Runtime::features() const { return group_->loop(0).driver().features(); }

RuntimeStats Runtime::stats() const noexcept {
  detail::Loop* here = detail::Loop::current();
  if (here && here->group() == group_.get()) return here->snapshot_stats();
  return group_->loop(0).snapshot_stats();
}

Task<> Runtime::shutdown(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  co_await on_all_shards([deadline](unsigned) -> Task<> {
    detail::Loop* loop = detail::Loop::current();
    loop->begin_graceful_stop();
    // Polled: a shutdown happens once, and this keeps the spawn path free of hooks.
    while (loop->user_spawned() > 0 && std::chrono::steady_clock::now() < deadline)
      co_await sleep_for(std::chrono::milliseconds(2));
  });
}

Task<> Runtime::serve_until_signal(std::function<Task<>(unsigned)> start) {
  block_signals(SIGINT, SIGTERM);
  auto start_here = [start](unsigned i) { spawn(start(i)); };  // named: see the GCC 12 note in README
  co_await on_all_shards(start_here);
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  detail::log(detail::LogLevel::info, "signal {}: stopping; draining for up to {} ms (a second signal exits at once)",
              sig ? *sig : 0, opts_.drain_timeout.count());
  unblock_signals(SIGINT, SIGTERM);  // a second signal now ends the process at once
  co_await shutdown(opts_.drain_timeout);
}

Runtime& runtime() noexcept { return detail::Loop::current()->group()->runtime(); }

// ---- shards (coring/core/shard.hpp) ----

unsigned this_shard() noexcept {
  detail::Loop* l = detail::Loop::current();
  return l ? l->id() : 0;
}

unsigned shard_count() noexcept {
  detail::Loop* l = detail::Loop::current();
  return l ? l->group()->size() : 1;
}

RuntimeStats this_shard_stats() noexcept {
  detail::Loop* l = detail::Loop::current();
  return l ? l->snapshot_stats() : RuntimeStats{};
}

Task<std::vector<RuntimeStats>> all_shard_stats() {
  co_return co_await on_all_shards([](unsigned) { return this_shard_stats(); });
}

RuntimeStats total(const std::vector<RuntimeStats>& shards) noexcept {
  RuntimeStats t{};
  for (const RuntimeStats& s : shards) {
    t.loop_turns += s.loop_turns;
    t.submit_syscalls += s.submit_syscalls;
    t.batched_waits += s.batched_waits;
    t.ops_submitted += s.ops_submitted;
    t.completions += s.completions;
    t.cq_overflows += s.cq_overflows;
    t.abandon_waits += s.abandon_waits;
    t.buffer_exhausted += s.buffer_exhausted;
    t.recv_paused += s.recv_paused;
    t.connections_paused += s.connections_paused;
    t.accept_backoffs += s.accept_backoffs;
    t.connections_accepted += s.connections_accepted;
    t.connections_open += s.connections_open;
    t.connections_closed += s.connections_closed;
    t.buffers_in_use += s.buffers_in_use;
    t.mail_sent += s.mail_sent;
    t.mail_received += s.mail_received;
    t.mailbox_full_waits += s.mailbox_full_waits;
    t.mailbox_depth += s.mailbox_depth;
    t.parked_calls += s.parked_calls;
    t.wakeups_sent += s.wakeups_sent;
    t.offloads += s.offloads;
    t.offload_waits += s.offload_waits;
    t.fixed_buffers_in_use += s.fixed_buffers_in_use;
    t.fixed_buffer_exhausted += s.fixed_buffer_exhausted;
    t.zc_sends += s.zc_sends;
    t.zc_copied += s.zc_copied;
    t.zc_pending += s.zc_pending;
  }
  return t;
}

bool stop_requested() noexcept {
  detail::Loop* l = detail::Loop::current();
  return l && l->stopping();
}

}  // namespace coring
