// File: a file opened through the shard's backend (io_uring opcodes, or the offload pool on epoll): open beneath a root, stat, read at an offset, close.
#pragma once

#include <coroutine>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/core/task.hpp"
#include "coring/detail/file_op.hpp"
#include "coring/net/fixed_buffer.hpp"
#include "coring/result.hpp"

namespace coring {

/// What File::stat() reports (from statx).
struct FileInfo {
  std::uint64_t size = 0;
  std::int64_t mtime_sec = 0;  ///< last modification, seconds since the epoch
  std::uint32_t mtime_nsec = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  std::uint32_t mode = 0;  ///< st_mode bits (type and permissions)
  bool regular() const noexcept;
  bool directory() const noexcept;
};

struct OpenOptions {
  /// Open a directory (O_PATH | O_DIRECTORY): usable as the root of open(root, path).
  bool directory = false;
};

/// Awaiter of one file operation (File::read_at, and the steps of open, stat
/// and close). Cancellable: a cancel either wins (operation_canceled) or the
/// operation's own result arrives. Destroyed while suspended, it returns only
/// once the kernel (or the offload thread) no longer touches its buffer.
class [[nodiscard]] FileAwaiter : detail::FileOp, detail::Canceller {
 public:
  explicit FileAwaiter(const detail::FileOp& op) noexcept : FileOp(op) { complete = &on_complete; }
  FileAwaiter(FileAwaiter&& o) noexcept : FileOp(static_cast<const FileOp&>(o)) { complete = &on_complete; }
  FileAwaiter(const FileAwaiter&) = delete;
  ~FileAwaiter() {
    if (state_ == kInFlight || state_ == kCancelling) abandon();
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, detail::cancel_target_of(h));
  }
  /// The operation's result: bytes read, an fd opened, or 0; or an error.
  Result<std::size_t> await_resume() noexcept;

 private:
  enum State : uint8_t { kIdle, kInFlight, kCancelling, kDone };
  bool suspend(std::coroutine_handle<> h, detail::CancelState* cs);
  void abandon() noexcept;
  static void on_complete(detail::Completion* op, int32_t res);
  static void on_cancel(detail::Canceller* k);
  std::coroutine_handle<> waiter_;
  detail::CancelState* cancel_ = nullptr;
  int32_t res_ = 0;
  State state_ = kIdle;
};

/// An open file (or directory). Move-only; destroying an open File closes its
/// fd with close(2) (cheap for local files); close() does it through the
/// backend and reports the error. Not tied to a shard: each operation runs on
/// the shard of the task that awaits it.
class File {
 public:
  File() = default;
  /// Takes ownership of `fd`.
  explicit File(int fd) noexcept : fd_(fd) {}
  File(File&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  File& operator=(File&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() { reset(); }

  /// Opens `path` read-only (openat2; relative paths from the working directory).
  static Task<Result<File>> open(std::string_view path, OpenOptions opts = {});
  /// Opens `path` below directory `root` (opened with OpenOptions::directory):
  /// the kernel refuses any resolution that leaves it (RESOLVE_BENEATH: "..",
  /// absolute paths, symlinks out; errc::cross_device_link) and /proc magic links.
  static Task<Result<File>> open(const File& root, std::string_view path, OpenOptions opts = {});

  /// Size, modification time, type (statx of the open file: its in-memory inode, read at once).
  Task<Result<FileInfo>> stat() const;
  /// Reads up to `into.size()` bytes at `offset`; 0 at the end of the file.
  /// `into` must stay alive until the co_await returns.
  FileAwaiter read_at(std::span<std::byte> into, std::uint64_t offset) const noexcept;
  /// Reads up to `into.capacity()` bytes at `offset` into a fixed buffer
  /// (IORING_OP_READ_FIXED where it is registered); set its size with
  /// `into.resize(n)` to send it. `into` must stay alive until the co_await returns.
  FileAwaiter read_at(FixedBuffer& into, std::uint64_t offset) const noexcept;
  /// Closes the file through the backend.
  Task<Result<void>> close();

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 private:
  void reset() noexcept;
  int fd_ = -1;
};

}  // namespace coring
