// The epoll backend's first try of a file operation on the shard's thread, for what needs no disk: a read from the
// page cache (RWF_NOWAIT), an open resolved from the dentry cache alone (RESOLVE_CACHED), a close.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "coring/detail/file_op.hpp"

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20  // Linux 5.12
#endif

namespace coring::detail {

/// What the tries found possible on this file system (a "no" sends every such operation to the pool).
struct NowaitSupport {
  bool reads = true;
  bool opens = true;
};

/// The result of `op` done without waiting for a disk, or kNowaitAgain when it would have to wait
/// (the caller then offloads it). io_uring makes the same first tries inside the kernel (an open
/// with RESOLVE_CACHED, a read with IOCB_NOWAIT); a close of a file opened read-only has nothing
/// to flush (File's destructor closes inline too). (File::stat needs no try: it runs at once.)
constexpr std::int32_t kNowaitAgain = 1 << 30;
inline std::int32_t file_op_nowait(FileOp& op, NowaitSupport& can) noexcept {
  for (;;) {
    long r = -1;
    switch (op.code) {
      case FileOp::kRead: {
        if (!can.reads) return kNowaitAgain;
        iovec v{op.buf, op.len};
        r = ::preadv2(op.fd, &v, 1, op.off, RWF_NOWAIT);
        if (r < 0 && errno == EOPNOTSUPP) can.reads = false;  // a file system without it: every read offloaded
        break;
      }
      case FileOp::kOpen: {
        if (!can.opens) return kNowaitAgain;
        open_how how = *static_cast<const open_how*>(op.buf);
        how.resolve |= RESOLVE_CACHED;
        r = ::syscall(SYS_openat2, op.fd, op.path, &how, sizeof how);
        if (r < 0 && (errno == EINVAL || errno == E2BIG)) can.opens = false;  // a kernel before 5.12
        break;
      }
      case FileOp::kClose:
        return ::close(op.fd) == 0 ? 0 : -errno;  // never retried: the fd is gone
      default:
        return kNowaitAgain;
    }
    if (r >= 0) return static_cast<std::int32_t>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EOPNOTSUPP || errno == EINVAL || errno == E2BIG) return kNowaitAgain;
    return -errno;
  }
}

}  // namespace coring::detail
