// Result<T>: a value or a std::error_code, the return type of every I/O operation.
#pragma once

#include <cassert>
#include <cerrno>
#include <optional>
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

/// A value of type T, or an error. Converts to true when it holds a value.
template <class T>
class Result {
 public:
  Result(T v) : value_(std::move(v)) {}  // NOLINT: implicit by design
  Result(std::error_code ec) : ec_(ec) { assert(ec); }  // NOLINT
  Result(std::errc e) : ec_(std::make_error_code(e)) {}  // NOLINT

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  const std::error_code& error() const noexcept { return ec_; }

  T& value() & { assert(has_value()); return *value_; }
  const T& value() const& { assert(has_value()); return *value_; }
  T&& value() && { assert(has_value()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  T value_or(U&& alt) const& { return has_value() ? *value_ : T(std::forward<U>(alt)); }

 private:
  std::optional<T> value_;
  std::error_code ec_;
};

/// Success, or an error.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(std::error_code ec) : ec_(ec) {}  // NOLINT
  Result(std::errc e) : ec_(std::make_error_code(e)) {}  // NOLINT
  bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  const std::error_code& error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

namespace detail {
template <class T> struct is_result : std::false_type {};
template <class T> struct is_result<Result<T>> : std::true_type {};
}  // namespace detail

}  // namespace coring
