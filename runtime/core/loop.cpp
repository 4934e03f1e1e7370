// Loop: the turn (ready tasks, I/O wait bounded by timers, timers) and the stop sequence.
#include "runtime/core/loop.hpp"

#include <time.h>

#include "runtime/core/log.hpp"

namespace coring::detail {

thread_local Loop* Loop::current_ = nullptr;

Loop::Loop(const RuntimeOptions& opts) : opts_(opts), pool_(opts.buffer_count, opts.buffer_size) {
  spawned_.prev = spawned_.next = &spawned_;
  update_now();
}

Loop::~Loop() {
  if (current_ == this) current_ = nullptr;
  spawned_.prev = spawned_.next = nullptr;
}

void Loop::update_now() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  now_ = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void Loop::run_ready() {
  // Resume what is ready now; tasks made ready meanwhile wait for the next
  // turn, so I/O completions are never starved.
  for (std::size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) ready_.pop().resume();
}

void Loop::poll_io(int64_t until) {
  ++stats.loop_turns;
  int64_t timeout = -1;
  if (!ready_.empty()) {
    timeout = 0;
  } else {
    int64_t next = timers_.empty() ? until : timers_.next_deadline();
    if (until >= 0 && until < next) next = until;
    if (next >= 0) timeout = next > now_ ? next - now_ : 0;
  }
  driver_->wait(timeout);
  update_now();
  timers_.fire_due(now_);
}

void Loop::spawn(std::coroutine_handle<> h, SpawnLink* link) {
  link->next = &spawned_;
  link->prev = spawned_.prev;
  spawned_.prev->next = link;
  spawned_.prev = link;
  ++spawned_count_;
  if (draining_) link->own_cancel.cancel();  // the runtime is stopping: cancelled from the start
  schedule(h);
}

void Loop::run_root(std::coroutine_handle<> root) {
  Loop* saved = current_;
  current_ = this;
  schedule(root);
  for (;;) {
    run_ready();
    if (root.done()) break;
    poll_io();
  }
  drain_spawned();
  current_ = saved;
}

void Loop::drain_spawned() {
  if (spawned_.next == &spawned_) return;
  draining_ = true;
  // Cancel every spawned task; let them finish within the drain period.
  for (SpawnLink* l = spawned_.next; l != &spawned_; l = l->next) l->own_cancel.cancel();
  const int64_t deadline = now_ + int64_t(opts_.drain_timeout.count()) * 1'000'000;
  while (now_ < deadline) {
    run_ready();
    if (spawned_.next == &spawned_) break;
    poll_io(deadline);
  }
  if (spawned_.next != &spawned_) {
    log(LogLevel::warn, "{} spawned tasks still running after the drain period; destroying them", spawned_count_);
    ready_.clear();
    while (spawned_.next != &spawned_) spawned_.next->self.destroy();
  }
  // Let the kernel finish what the destroyed operations cancelled.
  for (int i = 0; i < 4; ++i) {
    ready_.clear();
    driver_->wait(0);
  }
  ready_.clear();
  draining_ = false;
}

// --- hooks used by inline awaiters ---
void schedule(std::coroutine_handle<> h) noexcept { Loop::current()->schedule(h); }
void timer_add(TimerNode* t) { Loop::current()->timers().add(t); }
void timer_remove(TimerNode* t) noexcept { Loop::current()->timers().remove(t); }
// Refreshes the cached clock: a deadline computed from a time cached at the
// start of the turn would expire early after the task ran for a while.
int64_t now_ns() noexcept {
  Loop* l = Loop::current();
  l->update_now();
  return l->now();
}

}  // namespace coring::detail
