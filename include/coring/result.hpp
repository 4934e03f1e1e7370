// Result<T>: a value or a std::error_code, the return type of every I/O operation.
#pragma once

#include <cassert>
#include <cerrno>
#include <new>
#include <type_traits>
#include <system_error>
#include <utility>

namespace coring {

/// The error codes coring reports are plain POSIX ones (std::generic_category):
/// compare with `std::errc::operation_canceled`, `std::errc::timed_out`, ...
using errc = std::errc;

/// Turns a negative errno (as io_uring reports it) into an error_code.
inline std::error_code errno_code(int e) noexcept {
  return {e < 0 ? -e : e, std::generic_category()};
}

namespace detail {
/// An error_code kept as (value, category*) so that success costs nothing:
/// std::error_code's default constructor calls system_category() out of line.
class ErrorSlot {
 public:
  ErrorSlot() = default;
  ErrorSlot(std::error_code ec) noexcept : code_(ec.value()), cat_(&ec.category()) {}  // NOLINT
  std::error_code get() const noexcept { return cat_ ? std::error_code(code_, *cat_) : std::error_code(); }
  bool failed() const noexcept { return cat_ != nullptr && code_ != 0; }

 private:
  int code_ = 0;
  const std::error_category* cat_ = nullptr;
};
}  // namespace detail

/// A value of type T, or an error. Converts to true when it holds a value.
template <class T>
class Result {
 public:
  Result(T v) : has_(true) { new (&value_) T(std::move(v)); }  // NOLINT: implicit by design
  Result(std::error_code ec) : ec_(ec) { assert(ec); }  // NOLINT
  Result(std::errc e) : ec_(std::make_error_code(e)) {}  // NOLINT
  Result(const Result& o) requires std::is_copy_constructible_v<T> : has_(o.has_) {
    if (has_) new (&value_) T(o.value_);
    else new (&ec_) detail::ErrorSlot(o.ec_);
  }
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(o.has_) {
    if (has_) new (&value_) T(std::move(o.value_));
    else new (&ec_) detail::ErrorSlot(o.ec_);
  }
  Result& operator=(const Result& o) requires std::is_copy_constructible_v<T> {
    if (this != &o) assign(o);
    return *this;
  }
  Result& operator=(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                             std::is_nothrow_move_assignable_v<T>) {
    if (this != &o) assign(std::move(o));
    return *this;
  }
  ~Result() {
    if (has_) value_.~T();
  }

  bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The error (an empty error_code when there is a value).
  std::error_code error() const noexcept { return has_ ? std::error_code() : ec_.get(); }

  T& value() & { assert(has_value()); return value_; }
  const T& value() const& { assert(has_value()); return value_; }
  T&& value() && { assert(has_value()); return std::move(value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  T value_or(U&& alt) const& { return has_value() ? value_ : T(std::forward<U>(alt)); }

 private:
  // If copying or moving T throws, *this holds an error (state_not_recoverable) or, when
  // both held values, whatever T's own assignment left: never a destroyed value.
  template <class R>
  void assign(R&& o) {
    if (has_ && o.has_) {
      value_ = std::forward<R>(o).value_;
      return;
    }
    if (has_) {
      value_.~T();
      has_ = false;
      new (&ec_) detail::ErrorSlot(std::make_error_code(errc::state_not_recoverable));
    }
    if (!o.has_) {
      ec_ = o.ec_;
      return;
    }
    try {
      new (&value_) T(std::forward<R>(o).value_);
    } catch (...) {
      new (&ec_) detail::ErrorSlot(std::make_error_code(errc::state_not_recoverable));
      throw;
    }
    has_ = true;
  }
  // A success stores the value and the flag only: the error is never written.
  union {
    T value_;
    detail::ErrorSlot ec_;
  };
  bool has_ = false;
};

/// Success, or an error.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(std::error_code ec) : ec_(ec) {}  // NOLINT
  Result(std::errc e) : ec_(std::make_error_code(e)) {}  // NOLINT
  bool has_value() const noexcept { return !ec_.failed(); }
  explicit operator bool() const noexcept { return has_value(); }
  std::error_code error() const noexcept { return ec_.get(); }

 private:
  detail::ErrorSlot ec_;
};

namespace detail {
template <class T> struct is_result : std::false_type {};
template <class T> struct is_result<Result<T>> : std::true_type {};
}  // namespace detail

}  // namespace coring
