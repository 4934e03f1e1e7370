// offload(): run blocking or CPU-heavy work on the runtime's small thread pool, resuming on the caller's shard.
#pragma once

#include <exception>
#include <type_traits>

#include "coring/core/shard.hpp"
#include "coring/core/task.hpp"
#include "coring/detail/cross_call.hpp"

namespace coring {
namespace detail {

template <class F>
class OffloadCall : CrossCall {
  using R = std::invoke_result_t<F&>;

 public:
  explicit OffloadCall(F& fn) noexcept : fn_(&fn) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    caller = h;
    offload = true;
    run = [](CrossCall* c) {  // on a pool thread
      auto* self = static_cast<OffloadCall*>(c);
      try {
        self->value_.fill(*self->fn_);
      } catch (...) {
        self->error_ = std::current_exception();
      }
      post_reply(self);
    };
    submit_offload(this);
  }
  R await_resume() {
    if (error_) std::rethrow_exception(error_);
    return value_.take();
  }

 private:
  F* fn_;
  ValueBox<R> value_;
  std::exception_ptr error_;
};

}  // namespace detail

/// Runs `fn()` (a plain function: blocking file-system calls, compression,
/// password hashing...) on the runtime's offload pool and resumes the caller
/// on its own shard with the result; exceptions travel back. The pool has
/// RuntimeOptions::offload_threads threads and a queue of offload_queue
/// entries: while it is full the caller waits (backpressure), nothing queues
/// without bound. Not cancellable once started, and a stopping runtime waits
/// for running offloads to return, so keep `fn` bounded in time.
template <class F>
Task<std::invoke_result_t<F&>> offload(F fn) {
  co_return co_await detail::OffloadCall<F>(fn);
}

}  // namespace coring
