// ShardGroup: starting the shard threads (pinned, each with its own backend), their idle loop, and the stop barriers.
#include "runtime/core/shard_group.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <cstring>
#include <stdexcept>
#include <system_error>

#include "runtime/core/log.hpp"
#include "runtime/epoll/epoll_driver.hpp"
#ifdef CORING_HAVE_URING
#include "runtime/uring/uring_driver.hpp"
#endif

namespace coring::detail {
namespace {

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

void pin_to(int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

unsigned shard_count_for(const RuntimeOptions& o, std::size_t cpus) {
  return o.shards ? o.shards : static_cast<unsigned>(cpus);
}

}  // namespace

std::unique_ptr<Driver> ShardGroup::make_driver(Loop& loop, Backend backend, std::string& why) {
  std::unique_ptr<Driver> d;
  if (backend != Backend::epoll) {
#ifdef CORING_HAVE_URING
    d = make_uring_driver(loop, why);
#else
    why = "built without liburing (CORING_WITH_URING=OFF)";
#endif
  }
  if (!d) d = make_epoll_driver(loop);
  return d;
}

ShardGroup::ShardGroup(const RuntimeOptions& opts, Runtime* owner)
    : opts_(opts),
      owner_(owner),
      cpus_(allowed_cpus()),
      loops_(shard_count_for(opts, cpus_.size())),
      offload_(*this, opts.offload_threads, opts.offload_queue, shard_count_for(opts, cpus_.size())) {
  const unsigned n = size();
  for (unsigned i = 0; i < n * n; ++i) rings_.push_back(std::make_unique<CallRing>(opts.mailbox_capacity));

  // Shard 0 is the calling thread: its backend decides the others'.
  loops_[0] = std::make_unique<Loop>(opts_, this, 0);
  std::string why;
  loops_[0]->set_driver(make_driver(*loops_[0], opts.backend, why));
  const Backend chosen = loops_[0]->driver().backend();
  if (chosen != Backend::uring && opts.backend != Backend::epoll) {
    loops_[0]->fallback_reason = why;
    log(LogLevel::warn, "io_uring unavailable ({}); falling back to the epoll backend", why);
  }

  std::atomic<int> ready{0};
  std::vector<std::string> errors(n);
  try {
    for (unsigned i = 1; i < n; ++i)
      threads_.emplace_back([this, i, chosen, &ready, &errors] { thread_main(i, chosen, ready, errors[i]); });
  } catch (const std::system_error& e) {  // could not start a thread: stop the ones that did start
    errors[0] = e.what();
    ready.fetch_add(static_cast<int>(n - 1 - threads_.size()));
  }
  while (ready.load(std::memory_order_acquire) != static_cast<int>(n - 1)) ready.wait(ready.load());
  std::string failed;
  for (unsigned i = 0; i < n; ++i)
    if (!errors[i].empty()) failed += fmt::format("{}shard {}: {}", failed.empty() ? "" : "; ", i, errors[i]);
  if (!failed.empty()) {
    exit_.store(true);
    for (unsigned i = 1; i < n; ++i)
      if (loops_[i]) loops_[i]->wake_from_any_thread(true);
    for (auto& t : threads_) t.join();
    throw std::runtime_error("coring: cannot start the shards: " + failed);
  }
}

ShardGroup::~ShardGroup() {
  offload_.join();
  exit_.store(true, std::memory_order_seq_cst);
  for (unsigned i = 1; i < size(); ++i) loops_[i]->wake_from_any_thread(/*force=*/true);
  for (auto& t : threads_) t.join();
  pin_caller(false);
  // Now no thread touches any loop: tear them down (a ring may be closed by
  // any thread; its registered fd went with its thread).
  for (auto& l : loops_) l.reset();
}

void ShardGroup::thread_main(unsigned i, Backend backend, std::atomic<int>& ready, std::string& error) {
  // Signals are for shard 0 (the thread that waits for them): never here.
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  char name[16];
  std::snprintf(name, sizeof name, "coring-shard%u", i);
  ::pthread_setname_np(::pthread_self(), name);
  if (opts_.pin_shards) pin_to(cpus_[i % cpus_.size()]);

  try {  // eventfd, epoll or memory can run out (EMFILE...): the Runtime constructor reports it
    loops_[i] = std::make_unique<Loop>(opts_, this, i);
    std::string why;
    loops_[i]->set_driver(make_driver(*loops_[i], backend, why));
    if (backend == Backend::uring && loops_[i]->driver().backend() != Backend::uring) {
      loops_[i]->fallback_reason = why;
      log(LogLevel::warn, "shard {}: io_uring unavailable ({}); this shard uses epoll", i, why);
    }
  } catch (const std::exception& e) {
    error = e.what();
    loops_[i].reset();
  }
  const bool ok = loops_[i] != nullptr;
  ready.fetch_add(1, std::memory_order_release);
  ready.notify_all();
  if (!ok) return;
  Loop& loop = *loops_[i];

  Loop::set_current(&loop);
  uint32_t seen = 0;
  for (;;) {
    loop.run_ready();
    const uint32_t e = epoch_.load(std::memory_order_acquire);
    if (e != seen) {
      seen = e;
      loop.stop_tasks(e);
      continue;
    }
    if (exit_.load(std::memory_order_acquire)) break;
    loop.poll_io();
  }
  // The loop is destroyed by ~ShardGroup once every thread has ended: until
  // then another shard may still be waking it.
  Loop::set_current(nullptr);
}

uint32_t ShardGroup::begin_stop() noexcept {
  const uint32_t e = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  for (unsigned i = 1; i < size(); ++i) loops_[0]->wake(*loops_[i]);
  return e;
}

void ShardGroup::arrive(int k, uint32_t epoch) noexcept {
  if (arrived_[k].fetch_add(1, std::memory_order_seq_cst) + 1 == epoch * size()) {
    // The last one in wakes the others, through their eventfds: a MSG_RING
    // would wait for this shard's next submit, which may never come.
    Loop* me = Loop::current();
    for (auto& l : loops_)
      if (l.get() != me) l->wake_from_any_thread();
  }
}

bool ShardGroup::all_arrived(int k, uint32_t epoch) const noexcept {
  return arrived_[k].load(std::memory_order_seq_cst) >= epoch * size();
}

void ShardGroup::pin_caller(bool on) noexcept {
  if (on && opts_.pin_shards && size() > 1 && !caller_pinned_) {
    saved_mask_.resize(sizeof(cpu_set_t));
    ::pthread_getaffinity_np(::pthread_self(), sizeof(cpu_set_t), reinterpret_cast<cpu_set_t*>(saved_mask_.data()));
    pin_to(cpus_[0]);
    caller_pinned_ = true;
  } else if (!on && caller_pinned_) {
    ::pthread_setaffinity_np(::pthread_self(), sizeof(cpu_set_t), reinterpret_cast<cpu_set_t*>(saved_mask_.data()));
    caller_pinned_ = false;
  }
}

}  // namespace coring::detail
