// File: open (openat2, optionally RESOLVE_BENEATH a root), stat (statx), read at an offset and close, each one FileAwaiter.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <coroutine>
#include <string>

#include "coring/fs/file.hpp"

namespace coring {

using detail::FileOp;

namespace {

Task<Result<File>> open_at(int dir, std::string path, OpenOptions opts, bool beneath) {
  open_how how{};
  how.flags = opts.directory ? O_PATH | O_DIRECTORY | O_CLOEXEC : O_RDONLY | O_CLOEXEC | O_NOCTTY;
  if (beneath) how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  FileOp op;
  op.code = FileOp::kOpen;
  op.fd = dir;
  op.path = path.c_str();  // path and how live in this frame until the completion
  op.buf = &how;
  auto r = co_await FileAwaiter(op);
  if (!r) co_return r.error();
  co_return File(static_cast<int>(*r));
}

/// Whether the awaiting task is cancelled (never suspends).
struct CancelledNow {
  bool cancelled = false;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    cancelled = detail::cancel_target_of(h)->cancelled;
    return false;
  }
  bool await_resume() const noexcept { return cancelled; }
};

}  // namespace

bool FileInfo::regular() const noexcept { return S_ISREG(mode); }
bool FileInfo::directory() const noexcept { return S_ISDIR(mode); }

Task<Result<File>> File::open(std::string_view path, OpenOptions opts) {
  return open_at(AT_FDCWD, std::string(path), opts, false);
}

Task<Result<File>> File::open(const File& root, std::string_view path, OpenOptions opts) {
  return open_at(root.fd_, std::string(path), opts, true);
}

Task<Result<FileInfo>> File::stat() const {
  struct statx sx {};
  // An open file's inode is in memory, so statx of the fd does no I/O (AT_STATX_DONT_SYNC: no
  // round trip to a network file system's server either): it runs here at once, on both
  // backends. (IORING_OP_STATX would run in an io-wq worker, a thread hand-off per call, the
  // dearest step of a static file request; on epoll it was a trip to the offload pool.) Only a
  // task already cancelled gets operation_canceled, as from any other operation.
  const bool cancelled = co_await CancelledNow{};
  if (cancelled) co_return errc::operation_canceled;
  if (::statx(fd_, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx) != 0) co_return errno_code(errno);
  FileInfo i;
  i.size = sx.stx_size;
  i.mtime_sec = sx.stx_mtime.tv_sec;
  i.mtime_nsec = sx.stx_mtime.tv_nsec;
  i.inode = sx.stx_ino;
  i.device = (static_cast<std::uint64_t>(sx.stx_dev_major) << 32) | sx.stx_dev_minor;
  i.mode = sx.stx_mode;
  co_return i;
}

FileAwaiter File::read_at(std::span<std::byte> into, std::uint64_t offset) const noexcept {
  FileOp op;
  op.code = FileOp::kRead;
  op.fd = fd_;
  op.buf = into.data();
  op.len = into.size() > (1u << 30) ? (1u << 30) : static_cast<std::uint32_t>(into.size());
  op.off = static_cast<std::int64_t>(offset);
  return FileAwaiter(op);
}

FileAwaiter File::read_at(FixedBuffer& into, std::uint64_t offset) const noexcept {
  FileOp op;
  op.code = FileOp::kRead;
  op.fd = fd_;
  op.buf = into.data();
  op.len = static_cast<std::uint32_t>(into.capacity());
  op.off = static_cast<std::int64_t>(offset);
  op.buf_index = into.registered() ? static_cast<std::int32_t>(into.index()) : -1;
  return FileAwaiter(op);
}

Task<Result<void>> File::close() {
  const int fd = std::exchange(fd_, -1);
  if (fd < 0) co_return Result<void>();
  FileOp op;
  op.code = FileOp::kClose;
  op.fd = fd;
  auto r = co_await FileAwaiter(op);
  if (!r) co_return r.error();
  co_return Result<void>();
}

void File::reset() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace coring
