// Outbox: a connection's replies, sent straight from the session while the socket takes them, else by one long-lived sender task so that the session reads on (and sees a client that never reads).
#pragma once

#include <cstddef>
#include <string>

#include "coring/coring.hpp"

namespace kv {

/// Replies waiting to be sent on one stream. The session appends to
/// `buffer()` and calls `send()` when a batch of requests is answered. With
/// no send in flight, send() hands the batch to the socket at once, without
/// waiting (one non-blocking send(2), as redis does: no task hop, no ring
/// operation per reply); what the socket does not take then goes to the
/// outbox's sender task (started the first time it is needed, one per
/// connection), which sends, in order, until nothing is left, and waits on an
/// Event for the next batch, while the session goes on reading. `queued()` is
/// what the client has not taken yet (beyond the kernel's socket buffer): the
/// output limit.
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

  /// Sends what is buffered: straight to the socket if no send is in flight and
  /// it takes it all, else (the rest) by the sender, started the first time. Does not wait.
  void send();
  /// Sends everything buffered, ends the sender and waits for it; false if a send failed.
  coring::Task<bool> finish();
  /// Cancels the sender (the connection is being dropped) and waits for it to end.
  coring::Task<> abort();

 private:
  coring::Task<> run();
  /// One non-blocking send(2) of pending_ (nothing in flight): drops what went; false if it failed.
  bool send_now();

  coring::Stream& s_;
  std::string pending_;   // appended by the session
  std::string sending_;   // owned by the sender while its send_all runs
  bool started_ = false;  // the sender task is in the group (it stays until finish or abort)
  bool closing_ = false;  // finish(): the sender ends once nothing is left
  bool failed_ = false;
  int fd_ = -2;           // the socket for send_now(), read on first use; -1: none (the sender only)
  coring::Event wake_;    // set by send() and finish(); the sender waits on it when idle
  coring::TaskGroup group_;
};

}  // namespace kv
