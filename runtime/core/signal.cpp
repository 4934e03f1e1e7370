// wait_for_signal: signals read from a signalfd that the shard's backend polls.
#include "coring/signal.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "runtime/net/fd_wait.hpp"

namespace coring {

namespace {
sigset_t to_sigset(uint64_t mask) {
  sigset_t set;
  sigemptyset(&set);
  for (int s = 1; s <= 64; ++s)
    if (mask & (uint64_t{1} << (s - 1))) sigaddset(&set, s);
  return set;
}
}  // namespace

void detail::block_signal_mask(uint64_t mask) {
  sigset_t set = to_sigset(mask);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void detail::unblock_signal_mask(uint64_t mask) {
  sigset_t set = to_sigset(mask);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

Task<Result<int>> detail::wait_for_signal_mask(uint64_t mask) {
  if (!detail::Loop::current()) co_return errc::operation_not_permitted;
  sigset_t set = to_sigset(mask);
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) co_return errno_code(errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  for (;;) {
    signalfd_siginfo info{};
    if (::read(fd, &info, sizeof info) == sizeof info) co_return static_cast<int>(info.ssi_signo);
    auto start = [fd](detail::Driver& d, detail::Completion& op) { return d.poll_readable(fd, op); };
    int32_t r = co_await detail::FdOpAwaiter<decltype(start)>(nullptr, start);
    if (r < 0) co_return errno_code(r);
  }
}

}  // namespace coring
