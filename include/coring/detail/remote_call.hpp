// RemoteCall: the awaiter of a cross-shard call, whose caller may give up (cancel, timeout) before the target answers.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/detail/cross_call.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "coring/result.hpp"

namespace coring::detail {

template <class R> struct unwrap_task { using type = R; };
template <class T> struct unwrap_task<Task<T>> { using type = T; };
/// What `co_await submit_to(i, fn)` yields: fn's result, or T when fn returns Task<T>.
template <class F> using call_result_t = typename unwrap_task<std::invoke_result_t<F&>>::type;

/// A value, or nothing for void, that can be filled on one thread and read on another.
template <class T> struct ValueBox {
  std::optional<T> v;
  template <class F> void fill(F&& f) { v.emplace(std::forward<F>(f)()); }
  T take() { return std::move(*v); }
};
template <> struct ValueBox<void> {
  template <class F> void fill(F&& f) { std::forward<F>(f)(); }
  void take() noexcept {}
};

/// What an abandoned call gives its caller: Result<U> an operation_canceled
/// error, void nothing, any other T a std::system_error(operation_canceled).
template <class R>
R abandoned_result() {
  if constexpr (std::is_void_v<R>) {
    return;
  } else if constexpr (is_result<R>::value) {
    return R(errc::operation_canceled);
  } else {
    throw std::system_error(std::make_error_code(errc::operation_canceled), "cross-shard call abandoned");
  }
}

/// A call's state, shared by the two shards: the function, its result, and
/// the two messages. Counted references: the caller's awaiter, the request
/// (from submit until its reply is read on the origin, or until the body or
/// the message is dropped by a stopping runtime) and the cancel message while
/// it travels. The last one out deletes it, on whichever shard that is.
template <class F>
struct RemoteState {
  using R = call_result_t<F>;
  static constexpr bool kTaskBody = is_task<std::invoke_result_t<F&>>::value;
  struct Msg : CrossCall {
    RemoteState* state;
  };
  class Waiter;

  explicit RemoteState(F&& f) : fn(std::move(f)) {}
  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  F fn;
  Msg request;
  Msg cancel_msg;
  ValueBox<R> value;      // written on the target before the reply
  std::exception_ptr error;
  SpawnLink* body = nullptr;    // the body on the target (touched there only)
  Waiter* waiter = nullptr;     // the caller still waiting (touched on the origin only)
  // Who moves first: the target starting fn (kQueued -> kRunning) or the
  // caller giving up (kQueued -> kAbandoned; a Task body also when running).
  enum : uint8_t { kQueued, kRunning, kAbandoned };
  std::atomic<uint8_t> phase{kQueued};
  std::atomic<int> refs{2};  // the caller and the request
};

/// The request's reference, held by the body's frame from its creation: a
/// body destroyed unfinished (a stopping runtime), even one that never
/// started, releases it; a body that replies hands it to the reply.
template <class F>
struct BodyRef {
  RemoteState<F>* s;
  explicit BodyRef(RemoteState<F>* st) noexcept : s(st) {}
  BodyRef(BodyRef&& o) noexcept : s(std::exchange(o.s, nullptr)) {}
  BodyRef(const BodyRef&) = delete;
  ~BodyRef() {
    if (s) {
      s->body = nullptr;
      s->release();
    }
  }
};

/// The body on the target shard: runs fn unless the caller gave up first,
/// then posts the reply.
template <class F>
Task<> remote_body(BodyRef<F> ref) {
  RemoteState<F>* s = ref.s;
  uint8_t queued = RemoteState<F>::kQueued;
  if (s->phase.compare_exchange_strong(queued, RemoteState<F>::kRunning, std::memory_order_acq_rel)) {
    try {
      if constexpr (RemoteState<F>::kTaskBody) {
        if constexpr (std::is_void_v<typename RemoteState<F>::R>) {
          co_await s->fn();
        } else {
          s->value.v.emplace(co_await s->fn());
        }
      } else {
        s->value.fill(s->fn);
      }
    } catch (...) {
      s->error = std::current_exception();
    }
  }
  s->body = nullptr;
  ref.s = nullptr;
  post_reply(&s->request);  // the origin may delete *s from here on
}

/// Awaits `fn` run on another shard. The request spawns a body there (a
/// tracked task). Cancelling the caller before the target starts fn resumes
/// it at once with abandoned_result(), and fn never runs. Once started, a
/// plain function is waited for (it cannot yield: the caller resumes when it
/// returns, with its result, so its captures stay valid); a Task body is
/// cancelled by a second message and abandoned: the caller resumes at once.
/// A reply nobody waits for only drops its reference.
template <class F>
class RemoteState<F>::Waiter : Canceller {
 public:
  Waiter(unsigned shard, F& fn) noexcept : shard_(shard), fn_(&fn) {}
  Waiter(const Waiter&) = delete;
  ~Waiter() {
    if (cancel_) cancel_->disarm(this);
    if (state_) {
      if (state_->waiter == this) {  // destroyed while waiting: the call is abandoned
        state_->waiter = nullptr;
        state_->phase.store(RemoteState::kAbandoned, std::memory_order_release);
      }
      state_->release();
    }
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    CancelState* cs = cancel_state_of(h);
    if (cs && cs->cancelled) {  // the awaiter rule: a cancelled task does not start a call
      gave_up_ = true;
      return false;
    }
    auto* s = new RemoteState(std::move(*fn_));
    state_ = s;
    s->waiter = this;
    caller_ = h;
    s->request.state = s->cancel_msg.state = s;
    s->request.caller = s->cancel_msg.caller = h;
    s->request.run = [](CrossCall* c) {
      RemoteState* st = static_cast<Msg*>(c)->state;
      st->body = spawn_internal(remote_body(BodyRef<F>(st)));
    };
    s->request.on_reply = [](CrossCall* c) {  // on the origin
      RemoteState* st = static_cast<Msg*>(c)->state;
      if (Waiter* w = st->waiter) w->replied();
      st->release();
    };
    s->request.on_drop = s->cancel_msg.on_drop = [](CrossCall* c) { static_cast<Msg*>(c)->state->release(); };
    s->cancel_msg.run = [](CrossCall* c) {  // on the target, after the request (same FIFO)
      RemoteState* st = static_cast<Msg*>(c)->state;
      if (st->body) st->body->own_cancel.cancel();
      post_reply(c);
    };
    s->cancel_msg.on_reply = [](CrossCall* c) { static_cast<Msg*>(c)->state->release(); };
    try {
      submit_call(shard_, &s->request);
    } catch (...) {  // no such shard: the request never left
      s->refs.fetch_sub(1, std::memory_order_relaxed);
      throw;
    }
    if (cs) {
      cancel_ = cs;
      cancel_fn = [](Canceller* k) { static_cast<Waiter*>(k)->give_up(); };
      cs->arm(this);
    }
    return true;
  }
  R await_resume() {
    if (gave_up_) return abandoned_result<R>();
    if (state_->error) std::rethrow_exception(state_->error);
    return state_->value.take();
  }

 private:
  void replied() noexcept {
    state_->waiter = nullptr;
    if (cancel_) cancel_->disarm(this);
    cancel_ = nullptr;
    schedule(caller_);
  }
  void give_up() {  // the cancel state has disarmed us already
    cancel_ = nullptr;
    RemoteState* s = state_;
    uint8_t queued = RemoteState::kQueued;
    if (!s->phase.compare_exchange_strong(queued, RemoteState::kAbandoned, std::memory_order_acq_rel)) {
      if constexpr (!kTaskBody) return;  // a plain function is running: its reply resumes us
      s->phase.store(RemoteState::kAbandoned, std::memory_order_release);
      s->refs.fetch_add(1, std::memory_order_relaxed);
      submit_call(shard_, &s->cancel_msg);  // what the Task body awaits resumes with operation_canceled
    }
    gave_up_ = true;
    s->waiter = nullptr;
    schedule(caller_);
  }

  unsigned shard_;
  F* fn_;
  RemoteState* state_ = nullptr;
  CancelState* cancel_ = nullptr;
  std::coroutine_handle<> caller_;
  bool gave_up_ = false;
};

template <class F>
using RemoteCall = typename RemoteState<F>::Waiter;

}  // namespace coring::detail
