// Vectored send: Stream::send_all(parts)'s tries, each one sendmsg of the parts not yet sent.
//
// Lifecycle of a SendvAwaiter: that of a SendAwaiter (send_op.cpp: idle,
// queued, in flight, cancelling, done, abandoned), in the same send list, so
// it is ordered with the stream's other sends. What differs is what the
// kernel may touch while it is in flight:
//
// | state               | the kernel may still touch                                      |
// |---------------------|-----------------------------------------------------------------|
// | kInFlight           | the awaiter's msghdr and iovecs (msg_, iov_), and the bytes of   |
// | kCancelling         | the parts they point to, until the sendmsg's completion          |
// | abandoned           | nothing once Driver::abandon returns (it waits for the final    |
// |                     | completion on io_uring; epoll's sendmsg copied before returning) |
//
// A short send leaves done_ at the first byte not sent; the next try skips
// that many bytes of the parts and gathers at most kMaxIov of the rest.
#include <algorithm>

#include "coring/net/stream.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring::detail {

namespace {
// One try sends at most this much, so that its count fits the driver's int32_t result.
constexpr std::size_t kMaxTry = std::size_t{1} << 30;
}  // namespace

int32_t StreamOps::start_vectored(SendvAwaiter& a) {
  std::size_t skip = a.done_;
  std::size_t i = 0;
  while (i < a.nparts_ && skip >= a.parts_[i].size()) skip -= a.parts_[i++].size();
  std::size_t n = 0, bytes = 0;
  for (; i < a.nparts_ && n < SendvAwaiter::kMaxIov && bytes < kMaxTry; ++i, skip = 0) {
    const auto& p = a.parts_[i];
    if (p.size() == skip) continue;  // an empty part
    const std::size_t len = std::min(p.size() - skip, kMaxTry - bytes);
    a.iov_[n].iov_base = const_cast<std::byte*>(p.data() + skip);  // sendmsg only reads
    a.iov_[n].iov_len = len;
    bytes += len;
    ++n;
  }
  a.msg_ = {};
  a.msg_.msg_iov = a.iov_;
  a.msg_.msg_iovlen = n;
  return a.conn_->loop->driver().sendmsg(*a.conn_, a, &a.msg_);
}

}  // namespace coring::detail
