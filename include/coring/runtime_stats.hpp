// RuntimeStats: counters a shard keeps about its own work, readable as one snapshot.
#pragma once

#include <cstdint>

namespace coring {

struct RuntimeStats {
  uint64_t loop_turns = 0;          ///< iterations of the event loop
  uint64_t submit_syscalls = 0;     ///< io_uring_enter / epoll_wait calls
  uint64_t ops_submitted = 0;       ///< SQEs (io_uring) or readiness-driven syscalls (epoll)
  uint64_t completions = 0;         ///< CQEs (io_uring) or readiness events (epoll)
  uint64_t cq_overflows = 0;        ///< times the kernel reported CQ overflow
  uint64_t buffer_exhausted = 0;    ///< receives that found the buffer pool empty (backpressure)
  uint64_t recv_paused = 0;         ///< connections paused at their buffer share
  uint64_t accept_backoffs = 0;     ///< accept paused after EMFILE/ENFILE/ENOMEM
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t connections_closed = 0;
  uint64_t buffers_in_use = 0;      ///< receive buffers lent out right now
};

}  // namespace coring
