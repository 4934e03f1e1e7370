// when_all: run tasks concurrently on the shard and wait for all of them.
#pragma once

#include <array>
#include <tuple>
#include <vector>

#include "coring/core/join.hpp"

namespace coring {
namespace detail {

template <class... Ts>
class WhenAllAwaiter {
 public:
  explicit WhenAllAwaiter(Task<Ts>... ts) : tasks_(std::move(ts)...) {}
  WhenAllAwaiter(WhenAllAwaiter&&) = default;

  bool await_ready() const noexcept { return sizeof...(Ts) == 0; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    make(std::index_sequence_for<Ts...>{});
    return start_children(join_, children_, states_.data(), h, cancel_state_of(h));
  }
  std::tuple<value_of_t<Ts>...> await_resume() {
    finish_children(join_, children_);
    return take(std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... I>
  void make(std::index_sequence<I...>) {
    children_ = {make_child(std::move(std::get<I>(tasks_)), std::get<I>(out_), &join_, I)...};
  }
  template <std::size_t... I>
  std::tuple<value_of_t<Ts>...> take(std::index_sequence<I...>) {
    return {std::move(*std::get<I>(out_))...};
  }

  std::tuple<Task<Ts>...> tasks_;
  std::tuple<std::optional<value_of_t<Ts>>...> out_;
  std::array<Child, sizeof...(Ts)> children_;  // filled by make()
  std::array<CancelState, sizeof...(Ts)> states_{};
  JoinState join_;
};

template <class T>
class WhenAllVecAwaiter {
 public:
  explicit WhenAllVecAwaiter(std::vector<Task<T>> ts) : tasks_(std::move(ts)) {}
  bool await_ready() const noexcept { return tasks_.empty(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    out_.resize(tasks_.size());
    states_ = std::vector<CancelState>(tasks_.size());
    children_.reserve(tasks_.size());
    for (std::size_t i = 0; i < tasks_.size(); ++i)
      children_.push_back(make_child(std::move(tasks_[i]), out_[i], &join_, i));
    return start_children(join_, children_, states_.data(), h, cancel_state_of(h));
  }
  std::vector<value_of_t<T>> await_resume() {
    finish_children(join_, children_);
    std::vector<value_of_t<T>> r;
    r.reserve(out_.size());
    for (auto& o : out_) r.push_back(std::move(*o));
    return r;
  }

 private:
  std::vector<Task<T>> tasks_;
  std::vector<std::optional<value_of_t<T>>> out_;
  std::vector<Child> children_;
  std::vector<CancelState> states_;
  JoinState join_;
};

}  // namespace detail

/// Runs every task concurrently and resumes when all have finished, with
/// their results in order (void results as std::monostate). Cancelling the
/// caller cancels them all. The first exception thrown by one of them cancels
/// the others; it is rethrown once they have all ended.
template <class... Ts>
[[nodiscard]] detail::WhenAllAwaiter<Ts...> when_all(Task<Ts>... tasks) {
  return detail::WhenAllAwaiter<Ts...>(std::move(tasks)...);
}
template <class T>
[[nodiscard]] detail::WhenAllVecAwaiter<T> when_all(std::vector<Task<T>> tasks) {
  return detail::WhenAllVecAwaiter<T>(std::move(tasks));
}

}  // namespace coring
