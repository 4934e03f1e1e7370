// Thread-per-connection echo: accept(), then a 64 KiB-stack thread that blocks in recv/send.
#include "threaded_echo.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "coring/net/address.hpp"

namespace coring::apps {
namespace {

void* serve_one(void* arg) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::send(fd, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  ::close(fd);
  return nullptr;
}

}  // namespace

int run_threaded_echo(const std::string& text) {
  auto addr = SocketAddress::parse(text);
  if (!addr) {
    std::fprintf(stderr, "bad address %s\n", text.c_str());
    return 2;
  }
  int lfd = ::socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, addr->data(), addr->size()) < 0 || ::listen(lfd, 4096) < 0) {
    std::perror("bind/listen");
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  std::fprintf(stderr, "coring-echo: threads backend listening on %s\n", addr->to_string().c_str());
  for (;;) {
    pollfd fds[2] = {{lfd, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) break;
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) ::usleep(50'000);
      continue;
    }
    // Each recv is echoed by one send: without this, Nagle holds a partial
    // segment for the peer's delayed ACK (40 ms stalls with 16 KiB messages).
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    if (pthread_create(&t, &attr, serve_one, reinterpret_cast<void*>(static_cast<intptr_t>(fd))) != 0) ::close(fd);
  }
  std::fprintf(stderr, "coring-echo: stopping\n");
  ::close(lfd);
  return 0;
}

}  // namespace coring::apps
