// Ring set-up: the strongest flag set the kernel accepts, and the probes that decide if io_uring is usable.
#pragma once

#include <string>

#include <vector>

#include "coring/runtime.hpp"
#include "runtime/uring/canaries.hpp"
#include "runtime/uring/compat.hpp"

namespace coring::detail::uring {

/// Optional features turned off by RuntimeOptions::uring_off and the
/// environment variable CORING_URING_OFF (comma-separated names as
/// describe() prints them, or "all").
struct TurnedOff {
  unsigned setup = 0;  ///< IORING_SETUP_* flags never to use
  bool ring_fd = false, cqe_skip = false, recv_limit = false, msg_ring = false;
  bool bundle = false, incremental = false, min_wait = false;
  bool fixed_buffers = false, send_zc = false;
  std::string names;  ///< what was asked for and understood, for describe()
};

struct RingSetup {
  unsigned flags = 0;     ///< IORING_SETUP_* actually in use
  unsigned features = 0;  ///< IORING_FEAT_* the kernel reported
  bool registered_fd = false;
  bool recv_limit = false;  ///< multishot recv byte limit (strict per-connection share)
  bool msg_ring = false;    ///< IORING_OP_MSG_RING (cross-shard wake-ups without an eventfd)
  bool send_zc = false;     ///< IORING_OP_SEND_ZC used for large sends from fixed buffers
  bool min_wait = false;    ///< IORING_FEAT_MIN_TIMEOUT, not turned off (used if RuntimeOptions::min_wait)
  std::string off;          ///< features turned off by option (TurnedOff::names)
  TurnedOff turned_off;     ///< what was turned off, for the reasons in feature_list()
  Canary bundle;            ///< receive bundles' canary (not run when off by option)
  Canary incremental;       ///< incremental buffers' canary (not run when off by option)
  bool incremental_used = false;  ///< the receive path takes pieces of large buffers
  std::string incremental_why;    ///< canary passed, yet not used: why
};
TurnedOff features_turned_off(const std::string& names);

/// Initialises `ring`, dropping optional flags on EINVAL (older kernels) and
/// never using those in `off`. Returns 0 or -errno; on failure `why` says
/// what the caller should log.
int setup_ring(io_uring& ring, unsigned sq_entries, unsigned cq_entries, const TurnedOff& off, RingSetup& out,
               std::string& why);

/// Registers a provided-buffer ring of `entries` entries (power of two) for
/// group `bgid` (`flags`: IOU_PBUF_RING_*). Returns the ring memory, or null
/// with `why` set (and `err` the -errno, if given).
io_uring_buf_ring* register_buf_ring(io_uring& ring, unsigned entries, uint16_t bgid, std::string& why,
                                     unsigned flags = 0, int* err = nullptr);
void free_buf_ring(io_uring_buf_ring* br, unsigned entries) noexcept;

/// Checks that multishot recv with provided buffers works (Linux 6.0+) on a
/// socketpair. `recycle` gives the consumed buffer id back.
bool self_test_multishot_recv(io_uring& ring, uint16_t bgid, std::string& why, void (*recycle)(void*, uint16_t),
                              void* ctx);

/// Whether a multishot recv accepts a total byte limit (sqe->optlen, which
/// liburing 2.3 calls file_index; Linux 6.16+). Older kernels answer EINVAL.
bool probe_multishot_limit(io_uring& ring, uint16_t bgid, void (*recycle)(void*, uint16_t), void* ctx);

/// Whether IORING_OP_SEND takes a registered buffer (IORING_RECVSEND_FIXED_BUF;
/// newer kernels), tried on a socketpair with registered buffer 0 at `buf0`.
bool probe_send_fixed(io_uring& ring, const void* buf0);

/// Whether the kernel knows opcode `op` (IORING_REGISTER_PROBE).
bool opcode_supported(io_uring& ring, int op);

/// Every optional feature, in use or why not.
std::vector<BackendFeature> feature_list(const RingSetup& s);
/// The features in use, space-separated, then "(off by option: ...)" and
/// "(off: name: why; ...)" for the others.
std::string describe_features(const std::vector<BackendFeature>& list, const std::string& off_by_option);

}  // namespace coring::detail::uring
