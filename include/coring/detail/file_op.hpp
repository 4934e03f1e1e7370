// FileOp: one file-system operation (open, stat, read, close, splice) as a backend starts and completes it.
#pragma once

#include <cstdint>

#include "coring/detail/completion.hpp"

namespace coring::detail {

/// The arguments of one operation; the backend answers through Completion
/// (res: an fd for kOpen, bytes for kRead and kSplice, 0 for kStat and kClose,
/// or -errno). Every pointer must stay valid until the completion, or until
/// Driver::abandon returns.
struct FileOp : Completion {
  enum Code : uint8_t { kOpen, kStat, kRead, kClose, kSplice };
  Code code = kRead;
  int fd = -1;        ///< the file (kStat, kRead, kClose), the directory (kOpen), the source (kSplice)
  int fd_out = -1;    ///< kSplice: the destination
  uint32_t len = 0;   ///< kRead, kSplice: at most this many bytes
  int64_t off = -1;   ///< kRead, kSplice: offset in `fd` (-1 for a pipe or socket)
  int32_t buf_index = -1;  ///< kRead: `buf` lies in registered buffer `buf_index` (IORING_OP_READ_FIXED); -1: plain
  void* buf = nullptr;            ///< kRead: where the bytes go; kStat: a struct statx; kOpen: a struct open_how
  const char* path = nullptr;     ///< kOpen: NUL-terminated, relative to `fd`
};

}  // namespace coring::detail
