// SIGPIPE and sendfile(2): it has no MSG_NOSIGNAL, so the calling shard thread blocks the signal and drops the one an EPIPE raises.
#pragma once

#include <cerrno>
#include <csignal>
#include <ctime>

namespace coring::detail {

/// Call before sendfile(2) to a socket: SIGPIPE is blocked on this thread from then on
/// (once per thread), so a peer that reset kills nobody; the call fails with EPIPE.
inline void block_sigpipe_here() noexcept {
  thread_local bool blocked = false;
  if (blocked) return;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  blocked = true;
}

/// After an EPIPE: takes the SIGPIPE it left pending on this thread, so none is
/// delivered later (should the thread unblock it).
inline void drop_pending_sigpipe() noexcept {
  const int saved = errno;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  const timespec zero{0, 0};
  while (sigtimedwait(&s, nullptr, &zero) == SIGPIPE) {
  }
  errno = saved;
}

}  // namespace coring::detail
