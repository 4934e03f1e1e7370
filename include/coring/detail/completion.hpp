// Completion: the callback a backend calls when an operation it started has finished.
#pragma once

#include <climits>
#include <cstdint>

namespace coring::detail {

/// Returned by a backend's start function when the operation will complete later.
inline constexpr int32_t kPending = INT32_MIN;

/// Base of operation states that a backend completes with a result
/// (bytes or -errno). `slot` is the backend's handle for the in-flight operation.
struct Completion {
  struct NoInit {};
  Completion() noexcept : complete(nullptr), slot(nullptr) {}
  /// For hot operations that set `complete` before they start and never read
  /// `slot` before a backend has set it (saves two stores).
  explicit Completion(NoInit) noexcept {}
  void (*complete)(Completion*, int32_t res);
  void* slot;
};

}  // namespace coring::detail
