// Outbox: the sender task (swap the pending replies out, send_all them, repeat) and the session's ways to end it.
#include "outbox.hpp"

namespace kv {

using namespace coring;

namespace {
constexpr std::size_t keep_capacity = 1u << 20;  // a buffer larger than this is freed once sent
}

void Outbox::send() {
  if (running_ || failed_ || pending_.empty()) return;
  running_ = true;
  group_.spawn(run());
}

Task<> Outbox::run() {
  while (!pending_.empty() && !failed_) {
    sending_.swap(pending_);  // pending_ gets the old, empty buffer and keeps its capacity
    const bool ok = static_cast<bool>(co_await s_.send_all(sending_));
    if (!ok) failed_ = true;
    sending_.clear();
    if (sending_.capacity() > keep_capacity) std::string().swap(sending_);
  }
  if (failed_) pending_.clear();
  if (pending_.capacity() > keep_capacity) std::string().swap(pending_);
  running_ = false;
}

Task<bool> Outbox::finish() {
  send();
  co_await group_.wait();
  co_return !failed_;
}

Task<> Outbox::abort() {
  failed_ = true;
  group_.cancel();
  co_await group_.wait();
}

}  // namespace kv
