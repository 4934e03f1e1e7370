// sendfile(2) to a socket for both backends: it has no MSG_NOSIGNAL, so the shard thread blocks SIGPIPE and drops the one an EPIPE raises.
#pragma once

#include <sys/sendfile.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <ctime>

namespace coring::detail {

/// Up to `n` bytes of `fd` from `off` to the socket `sock`: the bytes sent (0 at the file's
/// end) or -errno (-EAGAIN when a non-blocking socket is full; -EPIPE when the peer reset,
/// which kills nobody: SIGPIPE is blocked on the calling thread from its first call on).
inline std::int32_t socket_sendfile(int sock, int fd, std::uint64_t off, std::size_t n) noexcept {
  // (The signal set is made only on the first call and after an EPIPE, not per piece.)
  auto pipe_only = [] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
  };
  thread_local bool blocked = false;
  if (!blocked) [[unlikely]] {
    const sigset_t set = pipe_only();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    blocked = true;
  }
  off_t o = static_cast<off_t>(off);
  for (;;) {
    const ssize_t r = ::sendfile(sock, fd, &o, n > 0x7ffff000u ? 0x7ffff000u : n);
    if (r >= 0) return static_cast<std::int32_t>(r);
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EPIPE) {  // take the SIGPIPE it left pending, so none is delivered later
      const timespec zero{0, 0};
      const sigset_t set = pipe_only();
      while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
      }
    }
    return -e;
  }
}

}  // namespace coring::detail
