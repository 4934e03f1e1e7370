// Loop: the turn (ready tasks, I/O wait bounded by timers, mail, timers) and the stop sequence.
#include "runtime/core/loop.hpp"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "runtime/core/log.hpp"
#include "runtime/core/shard_group.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring::detail {

thread_local Loop* Loop::current_ = nullptr;

Loop::Loop(const RuntimeOptions& opts, ShardGroup* group, unsigned id)
    : opts_(opts), group_(group), id_(id), pool_(opts.buffer_count, opts.buffer_size) {
  spawned_.prev = spawned_.next = &spawned_;
  stop_list_.prev = stop_list_.next = &stop_list_;
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  parked_calls_.resize(group ? group->size() : 1);
  stats.shard = id;
  update_now();
}

Loop::~Loop() {
  if (current_ == this) current_ = nullptr;
  if (driver_) driver_->quiesce();
  if (driver_ && wake_armed_) driver_->abandon(nullptr, wake_op_);
  if (driver_)
    for (Conn* c : orphans_) driver_->release(c);  // buffers kept past the runtime: nothing may use them
  driver_.reset();
  ::close(wake_fd_);
  spawned_.prev = spawned_.next = nullptr;
}

void Loop::set_driver(std::unique_ptr<Driver> d) {
  driver_ = std::move(d);
  fixed_.init(*driver_, opts_.fixed_buffer_count, opts_.fixed_buffer_size, stats);
  arm_wake_poll();
}

// The eventfd is watched like any descriptor: a completion marks the loop
// woken and re-arms the watch.
void Loop::arm_wake_poll() {
  wake_op_.loop = this;
  wake_op_.complete = [](Completion* c, int32_t res) {
    Loop* self = static_cast<WakeOp*>(c)->loop;
    self->wake_armed_ = false;
    uint64_t v;
    while (::read(self->wake_fd_, &v, sizeof v) < 0 && errno == EINTR) {
    }
    self->woken_ = true;
    if (res >= 0) self->arm_wake_poll();
    else log(LogLevel::error, "shard {}: wake-up descriptor failed ({}); eventfd wake-ups stop", self->id_, -res);
  };
  const int32_t r = driver_->poll_readable(wake_fd_, wake_op_);
  if (r == kPending) wake_armed_ = true;
  else log(LogLevel::error, "shard {}: cannot watch the wake-up descriptor ({})", id_, -r);
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
  if (!ready_.empty() || woken_ || parks_.has_due()) {  // woken_: mail noticed but not read yet
    timeout = 0;
  } else {
    int64_t next = timers_.empty() ? until : timers_.next_deadline();
    if (until >= 0 && until < next) next = until;
    if (next >= 0) timeout = next > now_ ? next - now_ : 0;
  }
  driver_->wait(timeout);  // reads the clock when its wait returns (update_now)
  if (!orphans_.empty()) [[unlikely]] sweep_orphans();
  if (woken_) {
    woken_ = false;
    process_mail();
  }
  timers_.fire_due(now_);
  if (parks_.has_due()) wake_due_parked(*this);
}

void Loop::sweep_orphans() noexcept {
  for (std::size_t i = 0; i < orphans_.size();) {
    if (orphans_[i]->lent() == 0) {
      driver_->release(orphans_[i]);
      orphans_[i] = orphans_.back();
      orphans_.pop_back();
    } else {
      ++i;
    }
  }
}

void Loop::spawn(std::coroutine_handle<> h, SpawnLink* link, bool now) {
  link->next = &spawned_;
  link->prev = spawned_.prev;
  spawned_.prev->next = link;
  spawned_.prev = link;
  ++spawned_count_;
  if (link->internal) ++internal_count_;
  if (draining_) link->own_cancel.cancel();  // the runtime is stopping: cancelled from the start
  if (now) h.resume();
  else schedule(h);
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
  stop_tasks(group_->begin_stop());
  current_ = saved;
}

void Loop::stop_tasks(uint32_t epoch) {
  draining_ = true;
  // 1. Wake every parked stream (Woken::stopped) and cancel every spawned task; let them
  // finish within the drain period, serving I/O and cross-shard calls meanwhile.
  wake_all_parked(*this);
  for (SpawnLink* l = spawned_.next; l != &spawned_; l = l->next) l->own_cancel.cancel();
  const int64_t deadline = now_ + int64_t(opts_.drain_timeout.count()) * 1'000'000;
  while (spawned_.next != &spawned_ && now_ < deadline) {
    run_ready();
    if (spawned_.next == &spawned_) break;
    poll_io(deadline);
  }
  // 2. Keep serving until every shard is done draining: a task draining on
  // another shard may be waiting for a call to this one. Offloads started
  // from now on are never run (their callers are about to be destroyed), and
  // the ones running must return first: they write into their callers' frames.
  drain_over_ = true;
  group_->arrive(0, epoch);
  while (!group_->all_arrived(0, epoch) || offloads_in_flight_ > 0) {
    run_ready();
    poll_io();
  }
  // 3. Quiescence: from here no shard runs a task or a call until every one is here.
  group_->arrive(1, epoch);
  wait_barrier(1, epoch);
  // 4. Destroy what is left. Replies name callers' frames: take them while
  // those frames still exist; calls still queued are dropped unread.
  for (CrossCall* c = replies_.take_all(); c;) {
    CrossCall* next = c->next;
    dropped(c);
    c = next;
  }
  wake_all_parked(*this);  // (none should be left: park() while draining wakes at once)
  if (spawned_.next != &spawned_) {
    if (user_spawned() > 0)
      log(LogLevel::warn, "shard {}: {} spawned tasks still running after the drain period; destroying them", id_,
          user_spawned());
    ready_.clear();
    destroy_spawned();
  }
  for (unsigned s = 0; s < group_->size(); ++s)
    if (s != id_)
      while (CrossCall* c = group_->ring(s, id_).pop()) dropped(c);
  for (auto& q : parked_calls_)
    while (CrossCall* c = q.pop()) dropped(c);
  while (CrossCall* c = parked_offloads_.pop()) dropped(c);
  // Let the kernel finish what the destroyed operations cancelled.
  for (int i = 0; i < 4; ++i) {
    ready_.clear();
    driver_->wait(0);
  }
  ready_.clear();
  // 5. Wait until every shard has destroyed its tasks: only then may calls flow again.
  group_->arrive(2, epoch);
  wait_barrier(2, epoch);
  woken_ = true;  // mail that came meanwhile is new work: look at it next turn
  draining_ = false;
  drain_over_ = false;
  stopping_ = false;
  // Submit what is queued (wake-ups included): this thread may not enter
  // the kernel again for a long time.
  driver_->wait(0);
}

// Waits for barrier k without running tasks or reading mail.
void Loop::wait_barrier(int k, uint32_t epoch) {
  for (;;) {
    wake_pending_.store(0, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (group_->all_arrived(k, epoch)) break;
    driver_->wait(-1);
  }
  woken_ = true;
}

// A call (or reply) the stop sequence drops unread: most live in a caller's
// frame, destroyed with it; a cross-shard call's shared state is released.
void Loop::dropped(CrossCall* c) noexcept {
  if (c->on_drop) c->on_drop(c);
}

void Loop::destroy_spawned() noexcept {
  while (spawned_.next != &spawned_) spawned_.next->self.destroy();
}

// ---- cross-shard calls ----

void Loop::submit_call(unsigned shard, CrossCall* c) {
  if (shard >= group_->size()) throw std::out_of_range("coring::submit_to: no such shard");
  c->origin = this;
  ++stats.mail_sent;
  CallQueue& q = parked_calls_[shard];
  CallRing& r = group_->ring(id_, shard);
  if (q.empty() && r.push(c)) {
    wake(group_->loop(shard));
    return;
  }
  // The mailbox is full: the call waits here, in its caller's frame.
  ++stats.mailbox_full_waits;
  q.push(c);
  r.sender_waiting.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the flag before the re-check of room
  if (!r.full()) retry_parked();  // room appeared before the receiver could see the flag
}

void Loop::submit_offload(CrossCall* c) {
  if (drain_over_) {  // stopping: the caller stays suspended until it is destroyed
    dropped(c);
    return;
  }
  c->origin = this;
  ++offloads_in_flight_;
  ++stats.offloads;
  if (parked_offloads_.empty() && group_->offload().try_push(c, id_)) return;
  ++stats.offload_waits;
  parked_offloads_.push(c);
}

void Loop::wake(Loop& target) noexcept {
  // Dekker with process_mail(): the call (or reply) stored before the flag
  // is read, the flag cleared there before the rings are read. One bit per
  // sender: a MSG_RING this shard queued but has not submitted yet (it may
  // be busy) never holds back another sender's wake-up.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint64_t bit = uint64_t{1} << (id_ % 63);
  if (target.wake_pending_.fetch_or(bit, std::memory_order_seq_cst) & bit) return;  // one is on its way
  ++stats.wakeups_sent;
  if (!driver_->wake(target)) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(target.wake_fd_, &one, sizeof one);
  }
}

void Loop::wake_from_any_thread(bool force) noexcept {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  constexpr uint64_t kAnyThread = uint64_t{1} << 63;  // the eventfd is written at once: no delay to share
  if ((wake_pending_.fetch_or(kAnyThread, std::memory_order_seq_cst) & kAnyThread) && !force) return;
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void Loop::wake_all_by_eventfd() noexcept {
  const uint64_t one = 1;
  for (unsigned i = 0; i < group_->size(); ++i)
    if (i != id_) [[maybe_unused]] auto n = ::write(group_->loop(i).wake_fd_, &one, sizeof one);
}

void Loop::process_mail() {
  // Cleared first: whatever is posted from now on sends a new wake-up.
  wake_pending_.store(0, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const unsigned n = group_->size();
  for (unsigned s = 0; s < n; ++s) {
    if (s == id_) continue;
    CallRing& r = group_->ring(s, id_);
    bool popped = false;
    while (CrossCall* c = r.pop()) {
      popped = true;
      ++stats.mail_received;
      c->run(c);
    }
    if (popped) {
      std::atomic_thread_fence(std::memory_order_seq_cst);  // the pops before the flag (see submit_call)
      if (r.sender_waiting.load(std::memory_order_seq_cst) && r.sender_waiting.exchange(false))
        wake(group_->loop(s));
    }
  }
  for (CrossCall* c = replies_.take_all(); c;) {
    CrossCall* next = c->next;
    if (c->offload) --offloads_in_flight_;
    if (c->on_reply) {
      c->on_reply(c);
    } else {
      schedule(c->caller);
    }
    c = next;
  }
  retry_parked();
}

void Loop::retry_parked() {
  for (unsigned t = 0; t < parked_calls_.size(); ++t) {
    CallQueue& q = parked_calls_[t];
    if (q.empty()) continue;
    CallRing& r = group_->ring(id_, t);
    bool pushed = false;
    while (CrossCall* c = q.pop()) {  // popped first: once pushed, the target owns c->next
      if (r.push(c)) {
        pushed = true;
        continue;
      }
      q.push_front(c);
      r.sender_waiting.store(true, std::memory_order_seq_cst);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (r.full()) break;  // the receiver will see the flag and wake us
    }
    if (pushed) wake(group_->loop(t));
  }
  while (CrossCall* c = parked_offloads_.pop()) {
    if (!group_->offload().try_push(c, id_)) {
      parked_offloads_.push_front(c);
      break;  // the pool wakes this shard when a worker takes a call
    }
  }
}

// ---- graceful stop ----

void Loop::begin_graceful_stop() {
  if (stopping_) return;
  stopping_ = true;
  for (ListenerState* l : std::vector<ListenerState*>(listeners_)) ListenerOps::shut(*l);
  wake_all_parked(*this);
  for (StopNode* s = stop_list_.next; s != &stop_list_; s = s->next) s->state->cancel();
}

void Loop::stop_register(StopNode* n) noexcept {
  n->next = &stop_list_;
  n->prev = stop_list_.prev;
  stop_list_.prev->next = n;
  stop_list_.prev = n;
  if (stopping_) n->state->cancel();
}

void Loop::stop_unregister(StopNode* n) noexcept {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = nullptr;
}

void Loop::listener_released(ListenerState* l) noexcept {
  auto it = std::find(listeners_.begin(), listeners_.end(), l);
  if (it != listeners_.end()) listeners_.erase(it);
}

RuntimeStats Loop::snapshot_stats() noexcept {
  RuntimeStats s = stats;
  s.buffers_in_use = pool_.in_use();
  s.mailbox_depth = 0;
  for (unsigned from = 0; from < group_->size(); ++from)
    if (from != id_) s.mailbox_depth += group_->ring(from, id_).size();
  s.parked_calls = 0;
  for (auto& q : parked_calls_) s.parked_calls += q.size;
  s.parked_calls += parked_offloads_.size;
  return s;
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
int64_t turn_ns() noexcept { return Loop::current()->now(); }
void submit_call(unsigned shard, CrossCall* c) { Loop::current()->submit_call(shard, c); }
void submit_offload(CrossCall* c) { Loop::current()->submit_offload(c); }
void post_reply(CrossCall* c) noexcept {
  Loop* origin = c->origin;  // `c` may be freed as soon as it is pushed
  origin->post_reply(c);
  if (Loop* here = Loop::current()) here->wake(*origin);
  else origin->wake_from_any_thread();
}
void stop_register(StopNode* n) noexcept { Loop::current()->stop_register(n); }
void stop_unregister(StopNode* n) noexcept { Loop::current()->stop_unregister(n); }

}  // namespace coring::detail
