// Start-up canaries: receive bundles and incremental buffer consumption tried on a socketpair before either is trusted.
#pragma once

#include <string>

#include "runtime/uring/compat.hpp"

namespace coring::detail::uring {

/// What a canary found.
struct Canary {
  enum Verdict { passed, kernel_lacks, failed } verdict = failed;
  std::string detail;  ///< for kernel_lacks and failed: what was seen, for describe()
};

/// Incremental buffer consumption (IOU_PBUF_RING_INC, Linux 6.12): a ring of
/// two 64-byte buffers takes 10, 20, 34 and 5 bytes in four receives; the
/// first three land in buffer 0 one after another (BUF_MORE set on the first
/// two, clear once it is full), the fourth at the start of buffer 1. With
/// `broken` the first completion's BUF_MORE is cleared before the check, as
/// a kernel that got it wrong would post it (the tests' forced failure).
Canary canary_incremental(io_uring& ring, uint16_t bgid, bool broken);

/// Receive bundles (IORING_RECVSEND_BUNDLE, Linux 6.10): 40 bytes, then 10,
/// into a ring of 16-byte buffers given in a shuffled order. Each completion
/// must name the next buffer in ring order, its bytes must fill the
/// following ring entries in order and exactly, and BUF_MORE stays clear.
/// With `broken` two buffers' bytes are swapped before the check, as a kernel
/// that filled them out of order would leave them.
Canary canary_bundle(io_uring& ring, uint16_t bgid, unsigned kernel_features, bool broken);

/// Whether the environment variable CORING_URING_CANARY_FAIL (comma-separated
/// feature names, for tests) asks canary `name` to see a broken kernel.
bool canary_forced_to_fail(const char* name);

}  // namespace coring::detail::uring
