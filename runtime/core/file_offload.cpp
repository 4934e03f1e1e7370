// FileOffload: a heap job per file operation, run on the offload pool; queued jobs can be cancelled, running ones waited for.
#include "runtime/core/file_offload.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "coring/detail/cross_call.hpp"

namespace coring::detail {

/// One operation handed to the pool. The shard owns it until the reply
/// arrives (on_reply frees it); `op` is cleared when its owner went away.
struct FileJob : CrossCall {
  enum : uint8_t { kQueued, kRunning, kRan, kDropped };
  FileOp args;
  FileOp* op;
  FileOffload* owner;
  std::atomic<uint8_t> state{kQueued};
  int32_t res = 0;
};

int32_t run_file_op(const FileOp& op) noexcept {
  long r = -1;
  for (;;) {
    switch (op.code) {
      case FileOp::kOpen: r = ::syscall(SYS_openat2, op.fd, op.path, op.buf, sizeof(open_how)); break;
      case FileOp::kStat:
        r = ::statx(op.fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, static_cast<struct statx*>(op.buf));
        break;
      case FileOp::kRead: r = ::pread(op.fd, op.buf, op.len, op.off); break;
      case FileOp::kClose: return ::close(op.fd) == 0 ? 0 : -errno;  // never retried: the fd is gone
      case FileOp::kSplice:
        r = ::splice(op.fd, op.off < 0 ? nullptr : reinterpret_cast<loff_t*>(const_cast<int64_t*>(&op.off)), op.fd_out,
                     nullptr, op.len, 0);
        break;
    }
    if (r >= 0) return static_cast<int32_t>(r);
    if (errno != EINTR) return -errno;
  }
}

FileOffload::~FileOffload() {
  // Jobs never submitted (the runtime stopped first) or never answered.
  for (FileJob* j : jobs_) j->owner = nullptr;
}

int32_t FileOffload::start(FileOp& op) {
  auto* j = new FileJob;
  j->args = op;
  j->op = &op;
  j->owner = this;
  j->offload = true;
  j->on_reply = &on_reply;
  j->run = [](CrossCall* c) {  // on a pool thread
    auto* job = static_cast<FileJob*>(c);
    uint8_t queued = FileJob::kQueued;
    if (job->state.compare_exchange_strong(queued, FileJob::kRunning, std::memory_order_acq_rel)) {
      job->res = run_file_op(job->args);
      job->state.store(FileJob::kRan, std::memory_order_release);
    }
    post_reply(job);
  };
  jobs_.push_back(j);
  op.slot = j;
  submit_offload(j);
  return kPending;
}

void FileOffload::on_reply(CrossCall* c) {
  auto* j = static_cast<FileJob*>(c);
  if (j->owner) j->owner->forget(j);
  if (FileOp* op = j->op) {
    op->slot = nullptr;
    const int32_t res = j->state.load(std::memory_order_acquire) == FileJob::kRan ? j->res : -ECANCELED;
    delete j;
    op->complete(op, res);
    return;
  }
  if (j->args.code == FileOp::kOpen && j->state.load(std::memory_order_acquire) == FileJob::kRan && j->res >= 0)
    ::close(j->res);  // opened for an owner that went away
  delete j;
}

FileJob* FileOffload::find(const Completion& op) const noexcept {
  for (FileJob* j : jobs_)
    if (j->op == &op) return j;
  return nullptr;
}

bool FileOffload::owns(const Completion& op) const noexcept { return find(op) != nullptr; }

void FileOffload::forget(FileJob* j) noexcept {
  auto it = std::find(jobs_.begin(), jobs_.end(), j);
  if (it != jobs_.end()) {
    *it = jobs_.back();
    jobs_.pop_back();
  }
}

bool FileOffload::cancel(Completion& op) noexcept {
  FileJob* j = find(op);
  if (!j) return false;
  uint8_t queued = FileJob::kQueued;
  if (!j->state.compare_exchange_strong(queued, FileJob::kDropped, std::memory_order_acq_rel)) return false;
  j->op = nullptr;  // its reply only frees it
  op.slot = nullptr;
  return true;
}

void FileOffload::abandon(Completion& op) noexcept {
  FileJob* j = find(op);
  if (!j) return;
  j->op = nullptr;
  op.slot = nullptr;
  uint8_t queued = FileJob::kQueued;
  if (j->state.compare_exchange_strong(queued, FileJob::kDropped, std::memory_order_acq_rel)) {
    if (!j->origin) {  // never submitted (the runtime is past its drain): no reply will come
      forget(j);
      delete j;
    }
    return;
  }
  // Running on a pool thread: its syscall may still write into the owner's buffer.
  while (j->state.load(std::memory_order_acquire) == FileJob::kRunning) ::sched_yield();
}

}  // namespace coring::detail
