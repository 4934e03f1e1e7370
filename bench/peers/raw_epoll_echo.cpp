// raw-epoll-echo: a hand-written epoll echo loop, the reactor floor that bench/echo_large.sh puts next to coring.
//
// One thread, one epoll set, level-triggered. A readable connection gets one
// recv(2) of up to 64 KiB into a shared buffer and one send(2) of what came;
// only a short send keeps the rest in a per-connection buffer and waits for
// EPOLLOUT (reads pause meanwhile). No coroutines, no cancellation, no pool,
// no per-connection share: this is the lower bound of a readiness loop.
// Usage: raw-epoll-echo [--port N] [--backend raw-epoll]; SIGINT/SIGTERM stop it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kReadSize = 64 * 1024;

struct Pending {  // bytes a short send left behind
  std::string rest;
};

void close_conn(int ep, int fd, std::vector<Pending>& pending) {
  ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  if (static_cast<std::size_t>(fd) < pending.size()) pending[fd].rest.clear();
}

// Sends `n` bytes; keeps what did not fit and switches the socket to EPOLLOUT. False on error.
bool send_or_keep(int ep, int fd, const char* p, std::size_t n, std::vector<Pending>& pending) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      if (pending.size() <= static_cast<std::size_t>(fd)) pending.resize(fd + 1);
      pending[fd].rest.assign(p, n);
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
      return true;
    }
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 7000;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_set, nullptr);
  const int sfd = ::signalfd(-1, &stop_set, SFD_CLOEXEC | SFD_NONBLOCK);
  std::signal(SIGPIPE, SIG_IGN);

  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(lfd, 4096) < 0) {
    std::perror("raw-epoll-echo: bind/listen");
    return 1;
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = sfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  std::fprintf(stderr, "raw-epoll-echo: backend raw-epoll, listening on 0.0.0.0:%d\n", port);

  std::vector<char> buf(kReadSize);
  std::vector<Pending> pending;
  std::vector<epoll_event> events(1024);
  for (;;) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == sfd) return 0;
      if (fd == lfd) {
        for (;;) {
          int c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      if (events[i].events & EPOLLOUT) {  // the rest of a short send
        std::string rest = std::move(pending[fd].rest);
        pending[fd].rest.clear();
        epoll_event cev{};
        cev.events = EPOLLIN;
        cev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        if (!send_or_keep(ep, fd, rest.data(), rest.size(), pending)) close_conn(ep, fd, pending);
        continue;
      }
      ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
      if (r > 0) {
        if (!send_or_keep(ep, fd, buf.data(), static_cast<std::size_t>(r), pending)) close_conn(ep, fd, pending);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_conn(ep, fd, pending);
      }
    }
  }
  return 0;
}
