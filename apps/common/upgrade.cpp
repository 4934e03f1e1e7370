// Hot upgrade over a Unix-domain control socket: the successor's take_over() and the running server's hand-over (upgrade.hpp).
#include "common/upgrade.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string_view>

namespace coring::apps {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kOffer = "coring-upgrade 1 ";
constexpr std::size_t kMaxFds = 250;  // under SCM_MAX_FD (253)

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

void close_all(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

// ---- the successor ----

/// Receives the offer: its text and the descriptors attached to it.
Result<std::vector<int>> receive_offer(int s) {
  char text[64] = {};
  iovec iov{text, sizeof text - 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  const ssize_t n = ::recvmsg(s, &m, MSG_CMSG_CLOEXEC);
  if (n < 0) return errno_code(errno);
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  const std::string_view t(text, static_cast<std::size_t>(n));
  const bool ok = t.starts_with(kOffer) && !(m.msg_flags & MSG_CTRUNC) &&
                  t.substr(kOffer.size()) == std::to_string(fds.size()) + "\n";
  if (!ok) {
    close_all(fds);
    return errc::protocol_error;
  }
  for (int fd : fds) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
      close_all(fds);
      return errc::invalid_argument;
    }
  }
  return fds;
}

}  // namespace

Result<std::vector<int>> take_over(const std::string& path, std::chrono::milliseconds timeout) {
  FdGuard s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return errno_code(errno);
  const timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return errc::filename_too_long;
  std::memcpy(a.sun_path, path.data(), path.size());
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return errno_code(errno);
  auto fds = receive_offer(s.fd);
  if (!fds) return fds;
  if (::send(s.fd, "ready\n", 6, MSG_NOSIGNAL) != 6) {
    close_all(*fds);
    return errno_code(errno);
  }
  // Until "stopped" (or the old process is gone): only then may the sockets' flags change.
  std::string got;
  char buf[64];
  for (;;) {
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (got.find("stopped\n") != std::string::npos || n == 0) break;
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "upgrade: no word from the old process (%s); taking the sockets anyway\n",
                   std::strerror(errno));
      break;
    }
  }
  return fds;
}

// ---- the running server ----

namespace {

Task<bool> read_line(Stream& s, std::string& line) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return false;
    const std::string_view v(reinterpret_cast<const char*>(b->data()), b->size());
    line.append(v);
    if (const auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      co_return true;
    }
  }
}

bool send_offer(int s, const std::vector<int>& fds) {
  const std::string text = std::string(kOffer) + std::to_string(fds.size()) + "\n";
  iovec iov{const_cast<char*>(text.data()), text.size()};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (!fds.empty()) {
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  // A short message on a fresh socket: its send buffer always takes it at once.
  return ::sendmsg(s, &m, MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(text.size());
}

/// One upgrade request. True once the sockets are handed over (this process is stopping).
Task<bool> hand_over(const char* app, Stream& s, ListenerTable& table) {
  const std::vector<int> fds = table.all();
  if (fds.size() > kMaxFds || !send_offer(s.native_handle(), fds)) {
    std::fprintf(stderr, "%s: upgrade: cannot send %zu sockets to the successor; still serving\n", app, fds.size());
    co_return false;
  }
  std::string answer;
  auto got = co_await with_timeout(read_line(s, answer), 30s);
  if (!got || !*got || answer != "ready") {
    std::fprintf(stderr, "%s: upgrade: the successor did not confirm; still serving\n", app);
    co_return false;
  }
  std::fprintf(stderr, "%s: upgrade: handed %zu listening socket%s to the successor; stopping\n", app, fds.size(),
               fds.size() == 1 ? "" : "s");
  // The usual graceful stop: it closes the listeners without losing a connection (each one's
  // backlog is taken and served), then "stopped" lets the successor accept.
  // (Not when a stop has begun already: a second SIGTERM ends the process at once.)
  if (!stop_requested()) ::kill(::getpid(), SIGTERM);
  for (int i = 0; i < 10'000 && table.accepting() > 0; ++i) co_await sleep_for(1ms);
  (void)co_await s.send_all(std::string_view("stopped\n"));
  co_return true;
}

Task<> upgrade_loop(const char* app, Listener control, ListenerTable& table) {
  for (;;) {
    auto s = co_await control.accept();
    if (!s) co_return;  // stopping
    if (co_await hand_over(app, *s, table)) co_return;
  }
}

}  // namespace

Result<void> serve_upgrades(const char* app, const std::string& path, ListenerTable& table) {
  auto addr = SocketAddress::unix_path(path);
  if (!addr) return addr.error();
  auto l = Listener::bind(*addr, ListenOptions{.remove_stale_unix_path = true});
  if (!l) return l.error();
  spawn(upgrade_loop(app, std::move(*l), table));
  return {};
}

}  // namespace coring::apps
