// Outbox: a connection's replies, sent by a background task so that the session can read on (and see a client that never reads).
#pragma once

#include <cstddef>
#include <string>

#include "coring/coring.hpp"

namespace kv {

/// Replies waiting to be sent on one stream. The session appends to
/// `buffer()` and calls `send()` when a batch of requests is answered; a
/// member task of the outbox's group then sends, in order, until nothing is
/// left, while the session goes on reading. `queued()` is what the client has
/// not taken yet (beyond the kernel's socket buffer): the output limit.
///
/// Before the stream goes away the session must `finish()` (everything sent)
/// or `abort()` (the sender cancelled): the sender uses the stream.
class Outbox {
 public:
  explicit Outbox(coring::Stream& s) noexcept : s_(s) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Where replies go; may be appended to at any time, also while a send runs.
  std::string& buffer() noexcept { return pending_; }
  /// Bytes of replies not yet handed to the kernel.
  std::size_t queued() const noexcept { return pending_.size() + sending_.size(); }
  /// True once a send failed (the client is gone): stop serving it.
  bool failed() const noexcept { return failed_; }

  /// Starts sending what is buffered unless a send runs already (it will take it). Does not wait.
  void send();
  /// Sends everything buffered and waits until it is sent; false if a send failed.
  coring::Task<bool> finish();
  /// Cancels the send in flight (the connection is being dropped) and waits for the sender to end.
  coring::Task<> abort();

 private:
  coring::Task<> run();

  coring::Stream& s_;
  std::string pending_;   // appended by the session
  std::string sending_;   // owned by the sender while its send_all runs
  bool running_ = false;  // a sender task is in the group
  bool failed_ = false;
  coring::TaskGroup group_;
};

}  // namespace kv
