// when_any: run tasks concurrently; the first to finish wins and the others are cancelled.
#pragma once

#include <array>
#include <tuple>
#include <variant>

#include "coring/core/join.hpp"

namespace coring {
namespace detail {

template <class... Ts>
class WhenAnyAwaiter {
 public:
  explicit WhenAnyAwaiter(Task<Ts>... ts) : tasks_(std::move(ts)...) {}
  WhenAnyAwaiter(WhenAnyAwaiter&&) = default;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    join_.first_wins = true;
    make(std::index_sequence_for<Ts...>{});
    return start_children(join_, children_, states_.data(), h, cancel_state_of(h));
  }
  std::variant<value_of_t<Ts>...> await_resume() {
    finish_children(join_, children_);
    return take<0>(join_.winner);
  }

 private:
  template <std::size_t... I>
  void make(std::index_sequence<I...>) {
    children_ = {make_child(std::move(std::get<I>(tasks_)), std::get<I>(out_), &join_, I)...};
  }
  template <std::size_t I>
  std::variant<value_of_t<Ts>...> take(std::size_t winner) {
    if constexpr (I + 1 < sizeof...(Ts)) {
      if (winner != I) return take<I + 1>(winner);
    }
    return std::variant<value_of_t<Ts>...>(std::in_place_index<I>, std::move(*std::get<I>(out_)));
  }

  std::tuple<Task<Ts>...> tasks_;
  std::tuple<std::optional<value_of_t<Ts>>...> out_;
  std::array<Child, sizeof...(Ts)> children_;
  std::array<CancelState, sizeof...(Ts)> states_{};
  JoinState join_;
};

}  // namespace detail

/// Runs every task concurrently; when the first one finishes, the others are
/// cancelled and awaited (so nothing outlives the call), and the winner's
/// result comes back as a variant whose index() names it. A child that throws
/// ends the race as well: the others are cancelled, and the exception is
/// rethrown once they have all finished.
template <class... Ts>
  requires(sizeof...(Ts) > 0)
[[nodiscard]] detail::WhenAnyAwaiter<Ts...> when_any(Task<Ts>... tasks) {
  return detail::WhenAnyAwaiter<Ts...>(std::move(tasks)...);
}

}  // namespace coring
