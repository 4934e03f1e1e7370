// Outbox: a connection's replies, sent by one long-lived sender task so that the session can read on (and see a client that never reads).
#pragma once

#include <cstddef>
#include <string>

#include "coring/coring.hpp"

namespace kv {

/// Replies waiting to be sent on one stream. The session appends to
/// `buffer()` and calls `send()` when a batch of requests is answered; the
/// outbox's sender task (started by the first send(), one per connection)
/// then sends, in order, until nothing is left, and waits on an Event for the
/// next batch, while the session goes on reading. `queued()` is what the
/// client has not taken yet (beyond the kernel's socket buffer): the output limit.
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

  /// Has the sender send what is buffered (starting it the first time). Does not wait.
  void send();
  /// Sends everything buffered, ends the sender and waits for it; false if a send failed.
  coring::Task<bool> finish();
  /// Cancels the sender (the connection is being dropped) and waits for it to end.
  coring::Task<> abort();

 private:
  coring::Task<> run();

  coring::Stream& s_;
  std::string pending_;   // appended by the session
  std::string sending_;   // owned by the sender while its send_all runs
  bool started_ = false;  // the sender task is in the group (it stays until finish or abort)
  bool closing_ = false;  // finish(): the sender ends once nothing is left
  bool failed_ = false;
  coring::Event wake_;    // set by send() and finish(); the sender waits on it when idle
  coring::TaskGroup group_;
};

}  // namespace kv
