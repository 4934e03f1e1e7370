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
  void (*complete)(Completion*, int32_t res) = nullptr;
  void* slot = nullptr;
};

}  // namespace coring::detail
