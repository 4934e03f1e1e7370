// Direct sendfile on the io_uring backend: sendfile(2) from the shard when a file's pages are cached, instead of two io-wq splices.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coring::detail::uring {

/// Whether cachestat(2) (Linux 6.5) answers here; probed once per process.
bool cachestat_available() noexcept;

/// Whether every page of [off, off + n) of `fd` is in the page cache (cachestat): then
/// sendfile(2) from it reads no disk, and may run on the shard. False when unknown.
bool range_cached(int fd, std::uint64_t off, std::size_t n) noexcept;

/// Makes the socket non-blocking, for sendfile(2) on the shard (io_uring's own socket
/// operations do not look at O_NONBLOCK: they poll when they must wait). False on failure.
bool make_nonblocking(int sock) noexcept;

}  // namespace coring::detail::uring
