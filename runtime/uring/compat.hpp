// Constants and helpers that liburing 2.3's headers lack, for features of newer kernels.
#pragma once

#include <liburing.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_FEAT_CQE_SKIP
#define IORING_FEAT_CQE_SKIP (1U << 11)
#endif
// Receive bundles (Linux 6.10): one recv fills several provided buffers, in ring order.
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#endif
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)  // sqe->ioprio
#endif
// Incremental buffer consumption (Linux 6.12): a ring registered with this
// flag (io_uring_buf_reg's `pad`, the kernel's `flags`) hands out parts of
// its buffers; a completion that leaves room in its buffer has BUF_MORE.
#ifndef IOU_PBUF_RING_INC
#define IOU_PBUF_RING_INC 2
#endif
#ifndef IORING_CQE_F_BUF_MORE
#define IORING_CQE_F_BUF_MORE (1U << 4)
#endif
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)  // Linux 6.2: the notification says whether the kernel copied
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)  // in a notification's res, with REPORT_USAGE
#endif
// Min-wait (Linux 6.12): io_uring_enter with EXT_ARG waits min_wait_usec for
// its wait_nr completions, then returns with any; the kernel's
// io_uring_getevents_arg, whose `pad` liburing 2.3 has in that place.
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#endif

namespace coring::detail::uring {

struct GetEventsArg {
  uint64_t sigmask;
  uint32_t sigmask_sz;
  uint32_t min_wait_usec;
  uint64_t ts;
};
static_assert(sizeof(GetEventsArg) == sizeof(io_uring_getevents_arg));

/// sqe->buf_group (io_uring_sqe_set_buf_group arrived in liburing 2.4).
inline void set_buf_group(io_uring_sqe* sqe, uint16_t bgid) noexcept { sqe->buf_group = bgid; }

}  // namespace coring::detail::uring
