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
#include "coring/runtime_stats.hpp"

namespace coring {

/// The index of the shard the calling task runs on (0 outside a runtime).
unsigned this_shard() noexcept;
/// How many shards the current runtime has (1 outside a runtime).
unsigned shard_count() noexcept;

namespace detail {

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

/// Awaits `fn` run on another shard. The body is spawned there as a tracked
/// task; its result (or exception) comes back through the reply path.
/// Cancelling the caller sends a second message that cancels the body (what
/// it awaits resumes with operation_canceled); the caller resumes once both
/// the result and that message's acknowledgement are back, so the target
/// never touches a frame that is gone.
template <class F>
class RemoteCall : Canceller {
  using R = call_result_t<F>;
  struct Msg : CrossCall {
    RemoteCall* self;
  };

 public:
  RemoteCall(unsigned shard, F& fn) noexcept : shard_(shard), fn_(&fn) {}
  RemoteCall(const RemoteCall&) = delete;
  ~RemoteCall() {
    if (cancel_) cancel_->disarm(this);
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    request_.self = cancel_msg_.self = this;
    request_.caller = cancel_msg_.caller = h;
    request_.on_reply = cancel_msg_.on_reply = [](CrossCall* c) { static_cast<Msg*>(c)->self->replied(); };
    request_.run = [](CrossCall* c) {
      RemoteCall* self = static_cast<Msg*>(c)->self;
      self->body_ = spawn_internal(body(self));
    };
    cancel_msg_.run = [](CrossCall* c) {  // on the target, after the request (same FIFO)
      RemoteCall* self = static_cast<Msg*>(c)->self;
      if (self->body_) self->body_->own_cancel.cancel();
      post_reply(c);
    };
    submit_call(shard_, &request_);
    if (CancelState* cs = cancel_state_of(h)) {
      cancel_ = cs;
      cancel_fn = [](Canceller* k) { static_cast<RemoteCall*>(k)->send_cancel(); };
      if (cs->cancelled) send_cancel();
      else cs->arm(this);
    }
  }
  R await_resume() {
    if (error_) std::rethrow_exception(error_);
    return value_.take();
  }

 private:
  static Task<> body(RemoteCall* self) {
    try {
      if constexpr (is_task<std::invoke_result_t<F&>>::value) {
        if constexpr (std::is_void_v<R>) {
          co_await (*self->fn_)();
        } else {
          self->value_.v.emplace(co_await (*self->fn_)());
        }
      } else {
        self->value_.fill(*self->fn_);
      }
    } catch (...) {
      self->error_ = std::current_exception();
    }
    self->body_ = nullptr;
    post_reply(&self->request_);  // the caller may resume (and free *self) from here on
  }
  void send_cancel() {
    if (cancel_sent_) return;
    cancel_sent_ = true;
    ++replies_due_;
    submit_call(shard_, &cancel_msg_);
  }
  void replied() {
    if (--replies_due_ > 0) return;
    if (cancel_) cancel_->disarm(this);
    cancel_ = nullptr;
    schedule(request_.caller);
  }

  unsigned shard_;
  F* fn_;
  Msg request_;
  Msg cancel_msg_;
  SpawnLink* body_ = nullptr;  // the body on the target (touched there only)
  CancelState* cancel_ = nullptr;
  int replies_due_ = 1;
  bool cancel_sent_ = false;
  ValueBox<R> value_;
  std::exception_ptr error_;
};

}  // namespace detail

/// Runs `fn()` on shard `shard` and returns its result on the caller's shard.
/// `fn` may return a value, void, or a Task<T> (awaited on the target shard).
/// Exceptions travel back and are rethrown here; errors travel as values
/// (return a Result<T>). On another shard the request goes through that
/// shard's bounded mailbox and wakes it (IORING_OP_MSG_RING on io_uring, an
/// eventfd on epoll); while the mailbox is full the caller waits
/// (backpressure). On the caller's own shard `fn` simply runs. Cancellable:
/// cancelling the caller (with_timeout, with_cancel...) cancels what the
/// body awaits on the target, and the caller gets whatever the body then
/// returns (with_timeout maps it to errc::timed_out).
/// `fn` is moved into the caller's frame and invoked on the target: it must
/// not touch the caller's shard-local state.
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
