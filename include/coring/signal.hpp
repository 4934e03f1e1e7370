// wait_for_signal: receive POSIX signals (SIGINT, SIGTERM, ...) as a co_await on the shard's loop.
#pragma once

#include <cstdint>

#include "coring/core/task.hpp"
#include "coring/result.hpp"

namespace coring {
namespace detail {
void block_signal_mask(uint64_t mask);
void unblock_signal_mask(uint64_t mask);
Task<Result<int>> wait_for_signal_mask(uint64_t mask);
template <class... S>
constexpr uint64_t signal_mask(S... s) {
  return ((uint64_t{1} << (s - 1)) | ...);
}
}  // namespace detail

/// Blocks these signals for the whole process (call before starting threads)
/// so they can be read from a signalfd instead of interrupting the program.
template <class... S>
void block_signals(S... signals) {
  detail::block_signal_mask(detail::signal_mask(signals...));
}

/// Unblocks them again on the calling thread: one that arrives then takes
/// its default action (for SIGINT/SIGTERM: the process ends at once).
template <class... S>
void unblock_signals(S... signals) {
  detail::unblock_signal_mask(detail::signal_mask(signals...));
}

/// Waits until one of the signals arrives and returns its number. They must
/// have been blocked with block_signals(). Cancellable.
template <class... S>
Task<Result<int>> wait_for_signal(S... signals) {
  return detail::wait_for_signal_mask(detail::signal_mask(signals...));
}

}  // namespace coring
