// send_file: Stream::send_file()'s awaiter, a send in the stream's queue whose tries are sendfile, splices, or a read then a send.
//
// Lifecycle of a SendFileAwaiter: that of a SendAwaiter (send_op.cpp: idle,
// queued, in flight, cancelling, done, abandoned), in the same send list, so
// no other send's bytes come between. In flight, the driver holds one
// operation at a time (`current_`): the awaiter itself (a socket send, or
// sendfile on epoll) or its `step_` (a file read, or a splice):
//
// | mode (Driver::file_send_mode) | a try                                    | the kernel may still touch (until the completion)  |
// |-------------------------------|------------------------------------------|----------------------------------------------------|
// | sendfile (epoll)              | sendfile(2) at offset_+done_; EAGAIN     | nothing (sendfile copies before it returns)        |
// |                               | parks it as the socket's write waiter    |                                                    |
// | read_send (io_uring)          | READ of up to 256 KiB into buf_, then    | buf_ (read, then send) and the file                |
// |                               | SENDs of it until all of it went         |                                                    |
// | splice (io_uring)             | SPLICE file -> pipe (when it is empty),  | the pipe and the file                              |
// |                               | then SPLICE pipe -> socket until empty   |                                                    |
//
// | end                              | what happens to the shard's buffer / pipe                                 |
// |----------------------------------|---------------------------------------------------------------------------|
// | done, failed, cancelled          | await_resume: the buffer goes back; the pipe goes back only if it is      |
// | (every completion seen)          | empty (in_pipe_ == 0) and the transfer succeeded, else it is closed       |
// | abandoned (frame destroyed)      | Driver::abandon waits for the step's final completion (absorbed: the      |
// |                                  | bytes it moved are unknown), then the pipe is closed, never reused        |
//
// A file that ends early (a read or splice of 0 bytes, sendfile's 0) fails
// the transfer with ENODATA: nothing but the file's bytes ever reaches the socket.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "coring/fs/file.hpp"
#include "coring/net/stream.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
namespace detail {

namespace {

constexpr std::uint32_t kChunk = 256 * 1024;       // read_send: bytes per read
constexpr std::uint32_t kPipeSize = 256 * 1024;    // splice: asked of F_SETPIPE_SZ
constexpr std::size_t kMaxTry = std::size_t{1} << 30;
// Spares a shard keeps for the next transfers: as many as a busy shard has transfers at once (20
// connections fetching files made a new pipe (pipe2, two fcntl, two close) or a new buffer (mmap,
// page faults, munmap) for most transfers with 8). Empty pipes cost two fds each; buffers 256 KiB.
constexpr std::size_t kKeepPipes = 64;
constexpr std::size_t kKeepBuffers = 32;

/// A chunk buffer of its own pages: given back to the kernel when freed. (From the heap, a burst of
/// transfers (1,000 at once hold 250 MiB) would stay in the process after they end: glibc raises its
/// mmap threshold past 256 KiB once such a block is freed, and then keeps them on its heap.)
std::byte* chunk_alloc() noexcept {
  void* p = ::mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
}
void chunk_free(std::byte* b) noexcept { ::munmap(b, kChunk); }

/// The shard's spare chunk buffers and pipes (one shard per thread).
struct Spares {
  std::vector<std::byte*> buffers;
  struct Pipe {
    int r, w;
    std::uint32_t size;  // F_GETPIPE_SZ, asked once
  };
  std::vector<Pipe> pipes;
  ~Spares() {
    for (std::byte* b : buffers) chunk_free(b);
    for (auto [r, w, size] : pipes) {
      ::close(r);
      ::close(w);
    }
  }
};
thread_local Spares spares;

}  // namespace

struct SendFileOps {
  static int32_t start(SendFileAwaiter& a);
  static void step_done(Completion* op, int32_t res);
  static bool take_pipe(SendFileAwaiter& a);
  static bool take_buffer(SendFileAwaiter& a);
};

// read_send's chunk buffer: one of the shard's fixed buffers (a registered
// read and send on io_uring) when one is free, else a spare of kChunk bytes.
bool SendFileOps::take_buffer(SendFileAwaiter& a) {
  FixedPool& fp = a.conn_->loop->fixed();
  if (const int64_t i = fp.acquire(); i >= 0) {
    const auto idx = static_cast<std::uint32_t>(i);
    a.fixed_ = FixedBuffer(&fp, idx, fp.data(idx), fp.size(), fp.registered());
    a.buf_ = a.fixed_.data();
    a.buf_cap_ = fp.size();
    return true;
  }
  if (!spares.buffers.empty()) {
    a.buf_ = spares.buffers.back();
    spares.buffers.pop_back();
  } else {
    a.buf_ = chunk_alloc();
    if (!a.buf_) return false;
  }
  a.buf_cap_ = kChunk;
  return true;
}

bool SendFileOps::take_pipe(SendFileAwaiter& a) {
  if (!spares.pipes.empty()) {
    auto [r, w, size] = spares.pipes.back();
    spares.pipes.pop_back();
    a.pipe_[0] = r;
    a.pipe_[1] = w;
    a.pipe_size_ = size;
    return true;
  }
  if (::pipe2(a.pipe_, O_CLOEXEC) != 0) return false;
  ::fcntl(a.pipe_[1], F_SETPIPE_SZ, static_cast<int>(kPipeSize));  // a failure keeps the default size
  const int sz = ::fcntl(a.pipe_[1], F_GETPIPE_SZ);
  a.pipe_size_ = sz > 0 ? static_cast<std::uint32_t>(sz) : 4096;
  return true;
}

int32_t SendFileOps::start(SendFileAwaiter& a) {
  Conn& c = *a.conn_;
  Driver& d = c.loop->driver();
  if (a.mode_ == 0) a.mode_ = 1 + static_cast<std::uint8_t>(d.file_send_mode());
  const std::uint64_t left = a.len_ - a.done_;
  a.current_ = &a;
  switch (static_cast<FileSendMode>(a.mode_ - 1)) {
    case FileSendMode::sendfile: {
      const int32_t r = d.send_file(c, a, a.fd_, a.offset_ + a.done_, std::min<std::uint64_t>(left, kMaxTry));
      return r == 0 ? -ENODATA : r;
    }
    case FileSendMode::read_send: {
      const std::uint64_t chunk_end = a.chunk_at_ + a.chunk_len_;
      if (a.done_ < chunk_end) {
        const std::byte* p = a.buf_ + (a.done_ - a.chunk_at_);
        const auto n = static_cast<std::size_t>(chunk_end - a.done_);
        // (Copied from the fixed buffer: zero-copy would keep it until its
        // notification, and the next chunk is read into it right away.)
        return a.fixed_ ? d.send_fixed(c, a, p, n, a.fixed_.index(), false) : d.send(c, a, p, n);
      }
      if (!a.buf_ && !take_buffer(a)) return -ENOMEM;
      a.chunk_at_ = a.done_;
      a.chunk_len_ = 0;
      a.step_.code = FileOp::kRead;
      a.step_.fd = a.fd_;
      a.step_.buf = a.buf_;
      a.step_.buf_index = a.fixed_ && a.fixed_.registered() ? static_cast<std::int32_t>(a.fixed_.index()) : -1;
      a.step_.len = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, a.buf_cap_));
      a.step_.off = static_cast<std::int64_t>(a.offset_ + a.done_);
      break;
    }
    case FileSendMode::splice: {
      if (a.in_pipe_ == 0) {  // at once where the backend can (io_uring: sendfile(2) of cached pages)
        const int32_t r = d.send_file(c, a, a.fd_, a.offset_ + a.done_, std::min<std::uint64_t>(left, kMaxTry));
        if (r != -EOPNOTSUPP) return r == 0 ? -ENODATA : r;
      }
      if (a.pipe_[0] < 0 && !take_pipe(a)) return -errno;
      a.step_.code = FileOp::kSplice;
      if (a.in_pipe_ > 0) {  // pipe -> socket
        a.step_.fd = a.pipe_[0];
        a.step_.off = -1;
        a.step_.fd_out = c.fd;
        a.step_.len = a.in_pipe_;
      } else {  // file -> pipe
        a.step_.fd = a.fd_;
        a.step_.off = static_cast<std::int64_t>(a.offset_ + a.done_);
        a.step_.fd_out = a.pipe_[1];
        a.step_.len = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, a.pipe_size_));
      }
      break;
    }
  }
  a.step_.owner = &a;
  a.step_.complete = &step_done;
  a.current_ = &a.step_;
  const int32_t r = d.file_start(a.step_);
  if (r == kPending) return kPending;
  a.current_ = &a;
  // Answered at once (epoll reads the page cache without blocking): a read, then the send of it.
  if (r <= 0 || a.step_.code != FileOp::kRead) return r == 0 ? -ENODATA : r < 0 ? r : -EIO;
  a.chunk_len_ = static_cast<std::uint32_t>(r);
  return start(a);
}

// A file step finished: a read or a splice into the pipe moved no socket
// bytes (send_complete with 0 goes on with the next try); a splice out of the
// pipe did (send_complete counts them).
void SendFileOps::step_done(Completion* op, int32_t res) {
  SendFileAwaiter& a = *static_cast<SendFileAwaiter::Step*>(static_cast<FileOp*>(op))->owner;
  a.current_ = &a;
  const bool out = a.step_.code == FileOp::kSplice && a.step_.fd == a.pipe_[0];
  if (res == 0) res = out ? -EPIPE : -ENODATA;  // nothing moved: the file ended early
  if (res > 0) {
    if (out) {
      a.in_pipe_ -= static_cast<std::uint32_t>(res);
    } else if (a.step_.code == FileOp::kSplice) {
      a.in_pipe_ = static_cast<std::uint32_t>(res);
      res = 0;
    } else {
      a.chunk_len_ = static_cast<std::uint32_t>(res);
      res = 0;
    }
  }
  StreamOps::send_complete(&a, res);
}

}  // namespace detail

int32_t detail::StreamOps::start_other(SendAwaiter& a) {
  if (a.kind_ == SendAwaiter::kVectored) return start_vectored(static_cast<SendvAwaiter&>(a));
  if (a.kind_ == SendAwaiter::kFixed) return start_fixed(static_cast<SendFixedAwaiter&>(a));
  return SendFileOps::start(static_cast<SendFileAwaiter&>(a));
}

detail::Completion& detail::StreamOps::in_flight_op(SendAwaiter& a) noexcept {
  if (a.kind_ == SendAwaiter::kFile) return *static_cast<SendFileAwaiter&>(a).current_;
  return a;
}

SendFileAwaiter Stream::send_file(const File& file, std::uint64_t offset, std::uint64_t length) noexcept {
  return {conn_, file.native_handle(), offset, length};
}

void SendFileAwaiter::release(bool clean) noexcept {
  if (fixed_) {
    fixed_.reset();  // (pinned in the pool while a send of it is in flight)
    buf_ = nullptr;
  } else if (buf_) {
    if (detail::spares.buffers.size() < detail::kKeepBuffers) detail::spares.buffers.push_back(buf_);
    else detail::chunk_free(buf_);
    buf_ = nullptr;
  }
  if (pipe_[0] >= 0) {
    if (clean && in_pipe_ == 0 && detail::spares.pipes.size() < detail::kKeepPipes) {
      detail::spares.pipes.push_back({pipe_[0], pipe_[1], pipe_size_});
    } else {  // stale bytes may be in it: never reused
      ::close(pipe_[0]);
      ::close(pipe_[1]);
    }
    pipe_[0] = pipe_[1] = -1;
    in_pipe_ = 0;
  }
}

Result<std::size_t> SendFileAwaiter::await_resume() noexcept {
  auto r = SendAwaiter::await_resume();
  release(bool(r));
  return r;
}

SendFileAwaiter::~SendFileAwaiter() {
  if (state_ != 0) {
    abandon();  // waits until the kernel lets go of the step in flight
    state_ = 0;
    release(false);
  }
  release(false);
}

}  // namespace coring
