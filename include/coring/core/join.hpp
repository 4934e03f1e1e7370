// Machinery shared by when_all and when_any: child coroutines that count down to their parent.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <optional>
#include <utility>
#include <variant>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"

namespace coring::detail {

/// void results are stored as std::monostate.
template <class T>
using value_of_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// State of one when_all / when_any: the parent waits until `remaining` is zero.
/// Cancelling the parent cancels every child; for when_any the first child to
/// finish cancels its siblings; for both, a child that throws cancels them.
struct JoinState : Canceller {
  std::size_t remaining = 0;
  std::coroutine_handle<> parent;
  CancelState* parent_cancel = nullptr;
  bool first_wins = false;
  std::size_t winner = SIZE_MAX;
  CancelState* children = nullptr;  // array of child cancel states
  std::size_t count = 0;
  std::exception_ptr first_error;  // the first exception a child threw

  void cancel_all() noexcept {
    for (std::size_t i = 0; i < count; ++i) children[i].cancel();
  }
  void child_done(std::size_t idx) noexcept {
    if (winner != SIZE_MAX) return;
    winner = idx;
    if (first_wins) cancel_all();
  }
  /// A child ended with an exception: the others are cancelled (and then
  /// awaited) instead of being waited for in full.
  void child_failed(std::exception_ptr e) noexcept {
    if (first_error) return;
    first_error = std::move(e);
    cancel_all();
  }
};

struct ChildPromise : PromiseBase {
  JoinState* join = nullptr;
  std::exception_ptr error;

  std::coroutine_handle<ChildPromise> get_return_object() noexcept {
    return std::coroutine_handle<ChildPromise>::from_promise(*this);
  }
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct Final {
    bool await_ready() noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<ChildPromise> h) noexcept {
      JoinState* j = h.promise().join;
      if (--j->remaining == 0) return j->parent;
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  Final final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept {
    error = std::current_exception();
    if (join) join->child_failed(error);
  }
};

/// Owning handle of a child coroutine.
struct Child {
  using promise_type = ChildPromise;
  std::coroutine_handle<ChildPromise> h;
  Child() = default;
  Child(std::coroutine_handle<ChildPromise> x) noexcept : h(x) {}  // NOLINT
  Child(Child&& o) noexcept : h(std::exchange(o.h, {})) {}
  Child& operator=(Child&& o) noexcept {
    if (h) h.destroy();
    h = std::exchange(o.h, {});
    return *this;
  }
  ~Child() {
    if (h) h.destroy();
  }
};

template <class T, class Out>
Child make_child(Task<T> t, Out& out, JoinState* j, std::size_t idx) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(t);
    out.emplace();
  } else {
    out.emplace(co_await std::move(t));
  }
  j->child_done(idx);
}

/// Starts children (already created) under `j`; returns false when all of them
/// finished synchronously, so the parent need not suspend.
template <class Children>
bool start_children(JoinState& j, Children& children, CancelState* states, std::coroutine_handle<> parent,
                    CancelState* parent_cancel) {
  j.parent = parent;
  j.parent_cancel = parent_cancel;
  j.children = states;
  j.count = std::size(children);
  j.remaining = j.count + 1;  // +1: held while starting, so no child resumes the parent early
  j.cancel_fn = [](Canceller* c) { static_cast<JoinState*>(c)->cancel_all(); };
  std::size_t i = 0;
  for (auto& c : children) {
    c.h.promise().join = &j;
    c.h.promise().cancel = &states[i++];
  }
  if (parent_cancel) {
    if (parent_cancel->cancelled) j.cancel_all();
    else parent_cancel->arm(&j);
  }
  for (auto& c : children) c.h.resume();
  if (--j.remaining == 0) {
    if (parent_cancel) parent_cancel->disarm(&j);
    return false;
  }
  return true;
}

template <class Children>
void finish_children(JoinState& j, [[maybe_unused]] Children& children) {
  if (j.parent_cancel) j.parent_cancel->disarm(&j);
  j.parent_cancel = nullptr;
  if (j.first_error) std::rethrow_exception(j.first_error);
}

}  // namespace coring::detail
