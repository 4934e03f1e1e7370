// FileOffload: file operations run as blocking syscalls on the offload pool, for a backend without file opcodes (epoll).
#pragma once

#include <vector>

#include "coring/detail/file_op.hpp"

namespace coring::detail {

struct FileJob;

/// A driver's file operations on the offload pool: start() queues a job and
/// answers kPending; the job's reply, back on the shard, completes the op.
/// cancel() wins only while the job is still queued; abandon() waits for a
/// running job's syscall to return, so that no thread touches the op's
/// memory afterwards (a regular file's syscall is short). An fd that an
/// abandoned or cancelled open still returns is closed.
class FileOffload {
 public:
  FileOffload() = default;
  FileOffload(const FileOffload&) = delete;
  FileOffload& operator=(const FileOffload&) = delete;
  ~FileOffload();

  int32_t start(FileOp& op);
  /// Whether `op` is one of these jobs.
  bool owns(const Completion& op) const noexcept;
  /// True if the job had not started (the caller completes `op` itself).
  bool cancel(Completion& op) noexcept;
  void abandon(Completion& op) noexcept;

 private:
  static void on_reply(struct CrossCall* c);
  FileJob* find(const Completion& op) const noexcept;
  void forget(FileJob* j) noexcept;
  std::vector<FileJob*> jobs_;
};

/// Runs `op` as a blocking syscall on the calling thread: its result (>= 0) or -errno.
int32_t run_file_op(const FileOp& op) noexcept;

}  // namespace coring::detail
