// coring-load's connection ramp: connects (optionally from chosen source addresses) in batches, each proven by one echo.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "load.hpp"

namespace coring::load {

namespace {

/// A non-blocking connect from `source` (bind before connect). The Stream API
/// has no connect-from-address nor a public wait for writability, so the
/// socket is connected here and polled (with a growing sleep) until the
/// handshake finishes, then handed to the runtime with Stream::adopt().
Task<Result<Stream>> connect_from(const SocketAddress& server, const SocketAddress& source, double timeout_s) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return errno_code(errno);
  int one = 1;
  // The port is picked at connect() time from the whole 4-tuple, not at bind().
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd, source.data(), source.size()) < 0 ||
      (::connect(fd, server.data(), server.size()) < 0 && errno != EINPROGRESS)) {
    const int e = errno;
    ::close(fd);
    co_return errno_code(e);
  }
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 0) > 0) break;
    if (now_ns() > deadline) {
      ::close(fd);
      co_return errc::timed_out;
    }
    if (auto r = co_await sleep_for(pause); !r) {
      ::close(fd);
      co_return r.error();
    }
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    co_return errno_code(err);
  }
  auto s = Stream::adopt(fd);  // sets the blocking mode its backend wants
  if (!s) ::close(fd);
  co_return std::move(s);
}

Task<Result<Stream>> connect_plain(SocketAddress server, double timeout_s) {
  co_return co_await with_timeout(Stream::connect(server),
                                  std::chrono::nanoseconds(static_cast<int64_t>(timeout_s * 1e9)));
}

}  // namespace

Task<Result<Stream>> connect_one(const SocketAddress& server, const std::vector<SocketAddress>& sources, uint32_t i,
                                 const Config& cfg) {
  // Two statements, not `cond ? co_await a : co_await b`: GCC 12 destroys the awaited
  // result of such a conditional twice (the Stream came out closed: EBADF on first send).
  Task<Result<Stream>> connecting = sources.empty()
                                        ? connect_plain(server, cfg.connect_timeout)
                                        : connect_from(server, sources[i % sources.size()], cfg.connect_timeout);
  co_return co_await std::move(connecting);
}

namespace {

/// Opens connection `i` and (unless --no-ramp-echo) proves it with one echo.
Task<> open_one(std::vector<Stream>& streams, uint32_t i, const SocketAddress& server,
                const std::vector<SocketAddress>& sources, Shared& sh) {
  Result<Stream> s = co_await connect_one(server, sources, i, *sh.cfg);
  if (!s) {
    ++sh.connect_errors;
    sh.report("connect", i, s.error().message());
    co_return;
  }
  if (sh.cfg->ramp_echo) {
    const Outcome o = co_await exchange(*s, sh, i, 0);
    if (o != Outcome::ok && o != Outcome::closed) {
      count(sh, o);
      ++sh.connect_errors;
      co_return;
    }
    ++sh.ramp_messages;
  }
  streams[i] = std::move(*s);
}

}  // namespace

Task<> ramp(std::vector<Stream>& streams, const SocketAddress& server, const std::vector<SocketAddress>& sources,
            Shared& sh) {
  const uint32_t n = static_cast<uint32_t>(streams.size());
  for (uint32_t first = 0; first < n; first += sh.cfg->batch) {
    const uint32_t last = std::min(n, first + sh.cfg->batch);
    std::vector<Task<>> batch;
    batch.reserve(last - first);
    for (uint32_t i = first; i < last; ++i) batch.push_back(open_one(streams, i, server, sources, sh));
    co_await when_all(std::move(batch));
  }
}

}  // namespace coring::load
