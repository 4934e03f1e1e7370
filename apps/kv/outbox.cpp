// Outbox: the direct non-blocking send, the long-lived sender task (swap the pending replies out, send_all them, wait for more) and the session's ways to end it.
#include "outbox.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace kv {

using namespace coring;

namespace {
constexpr std::size_t keep_capacity = 1u << 20;  // a buffer larger than this is freed once sent
}

// Only with nothing in flight (sending_ empty: the sender waits, or was woken and finds
// pending_ smaller or empty), so bytes go out in order. Not before finish(): the sender ends it.
bool Outbox::send_now() {
  if (fd_ == -2) fd_ = s_.native_handle();
  if (fd_ < 0) return true;
  const ssize_t r = ::send(fd_, pending_.data(), pending_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (r > 0) {
    if (static_cast<std::size_t>(r) == pending_.size()) {
      pending_.clear();
      if (pending_.capacity() > keep_capacity) std::string().swap(pending_);
    } else {
      pending_.erase(0, static_cast<std::size_t>(r));
    }
    return true;
  }
  return r == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

void Outbox::send() {
  if (failed_ || pending_.empty()) return;
  if (sending_.empty() && !closing_) {
    if (!send_now()) {  // the client is gone (reset, or shut its end)
      failed_ = true;
      pending_.clear();
      if (started_) wake_.set();  // the sender sees failed_ and ends
      return;
    }
    if (pending_.empty()) return;
  }
  if (!started_) {
    started_ = true;
    group_.spawn(run());  // runs on the next turn and finds pending_ full: no need to set wake_
    return;
  }
  wake_.set();  // schedules the sender if it waits; if it is sending, it finds pending_ full anyway
}

Task<> Outbox::run() {
  for (;;) {
    while (!pending_.empty() && !failed_) {
      sending_.swap(pending_);  // pending_ gets the old, empty buffer and keeps its capacity
      const bool ok = static_cast<bool>(co_await s_.send_all(sending_));
      if (!ok) failed_ = true;
      sending_.clear();
      if (sending_.capacity() > keep_capacity) std::string().swap(sending_);
    }
    if (failed_) pending_.clear();
    if (pending_.capacity() > keep_capacity) std::string().swap(pending_);
    if (failed_ || closing_) co_return;
    if (!co_await wake_.wait()) co_return;  // cancelled: abort(), or the runtime stops
  }
}

Task<bool> Outbox::finish() {
  closing_ = true;
  if (!started_) {
    send();  // starts the sender, which sends what is left and ends (closing_)
  } else {
    wake_.set();
  }
  co_await group_.wait();
  co_return !failed_;
}

Task<> Outbox::abort() {
  failed_ = true;
  group_.cancel();
  co_await group_.wait();
}

}  // namespace kv
