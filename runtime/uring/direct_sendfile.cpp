// Direct sendfile on the io_uring backend: cachestat(2) (defined here: glibc 2.36 has no wrapper) and a non-blocking socket.
#include "runtime/uring/direct_sendfile.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#ifndef __NR_cachestat
#define __NR_cachestat 451  // the same number on every architecture (Linux 6.5)
#endif

namespace coring::detail::uring {

namespace {

struct CachestatRange {  // struct cachestat_range of <linux/mman.h> (Linux 6.5)
  std::uint64_t off;
  std::uint64_t len;
};
struct Cachestat {  // struct cachestat
  std::uint64_t nr_cache;
  std::uint64_t nr_dirty;
  std::uint64_t nr_writeback;
  std::uint64_t nr_evicted;
  std::uint64_t nr_recently_evicted;
};

long cachestat(int fd, CachestatRange* range, Cachestat* out) noexcept {
  return ::syscall(__NR_cachestat, fd, range, out, 0u);
}

constexpr std::uint64_t kPage = 4096;

}  // namespace

bool cachestat_available() noexcept {
  static const bool available = [] {
    CachestatRange r{0, 1};
    Cachestat cs{};
    return cachestat(-1, &r, &cs) != 0 && errno == EBADF;  // ENOSYS (older kernel) or EPERM (seccomp): not here
  }();
  return available;
}

bool range_cached(int fd, std::uint64_t off, std::size_t n) noexcept {
  if (n == 0) return true;
  CachestatRange r{off, n};
  Cachestat cs{};
  if (cachestat(fd, &r, &cs) != 0) return false;
  const std::uint64_t pages = (off + n + kPage - 1) / kPage - off / kPage;
  return cs.nr_cache >= pages;
}

bool make_nonblocking(int sock) noexcept {
  const int flags = ::fcntl(sock, F_GETFL);
  return flags >= 0 && ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace coring::detail::uring
