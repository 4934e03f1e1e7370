// RuntimeStats: counters a shard keeps about its own work; all_shard_stats() reads them as one snapshot.
#pragma once

#include <cstdint>

namespace coring {

struct RuntimeStats {
  uint32_t shard = 0;               ///< which shard these are from
  uint64_t loop_turns = 0;          ///< iterations of the event loop
  uint64_t submit_syscalls = 0;     ///< io_uring_enter / epoll_wait calls
  uint64_t batched_waits = 0;       ///< waits for several completions (RuntimeOptions::min_wait)
  uint64_t ops_submitted = 0;       ///< SQEs (io_uring) or readiness-driven syscalls (epoll)
  uint64_t completions = 0;         ///< CQEs (io_uring) or readiness events (epoll)
  uint64_t cq_overflows = 0;        ///< completions that did not fit in the CQ (kept in the kernel's overflow list, or dropped)
  uint64_t abandon_waits = 0;       ///< in-flight operations whose owner was destroyed: the driver waited for the kernel to let go
  uint64_t buffer_exhausted = 0;    ///< receives that found the buffer pool empty (backpressure)
  uint64_t recv_paused = 0;         ///< receives refused because a connection held its buffer share
  uint64_t connections_paused = 0;  ///< connections refused at their buffer share (recv() gave no_buffer_space) that have not received since
  uint64_t accept_backoffs = 0;     ///< accept paused after EMFILE/ENFILE/ENOMEM
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t connections_closed = 0;
  uint64_t buffers_in_use = 0;      ///< received pieces (RecvBuffers, queued data) held right now
  uint64_t mail_sent = 0;           ///< cross-shard calls this shard sent
  uint64_t mail_received = 0;       ///< cross-shard calls this shard ran for others
  uint64_t mailbox_full_waits = 0;  ///< calls that waited for room in a full mailbox (backpressure)
  uint64_t mailbox_depth = 0;       ///< calls queued in this shard's mailbox right now
  uint64_t parked_calls = 0;        ///< this shard's calls waiting for mailbox or offload-queue room now
  uint64_t wakeups_sent = 0;        ///< MSG_RING / eventfd wake-ups sent to other shards
  uint64_t offloads = 0;            ///< functions sent to the offload pool
  uint64_t offload_waits = 0;       ///< offloads that waited for room in the pool's queue
  uint64_t fixed_buffers_in_use = 0;    ///< fixed buffers held, or pinned by a zero-copy send, right now
  uint64_t fixed_buffer_exhausted = 0;  ///< FixedBuffer::try_acquire calls that found none free
  uint64_t zc_sends = 0;                ///< zero-copy sends (IORING_OP_SEND_ZC) submitted
  uint64_t zc_copied = 0;               ///< zero-copy sends the kernel reported it copied (the connection then copies)
  uint64_t zc_pending = 0;              ///< zero-copy notifications not received yet (their buffers stay out of the pool)
};

}  // namespace coring
