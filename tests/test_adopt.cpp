// Inherited listening sockets: Listener::adopt() (checks, flags, serving) and activation_fds(), and the lossless close of a graceful stop, on both backends.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;

namespace {

/// A socket of `type` on 127.0.0.1, port 0; listening if `listen_too`. `flags` go to socket(2).
int plain_socket(int type, bool listen_too, int flags = 0) {
  int fd = ::socket(AF_INET, type | flags, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  if (listen_too) REQUIRE(::listen(fd, 64) == 0);
  return fd;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// One connection through `l`, a message each way.
Task<> round_trip(Listener& l) {
  auto [client, server] = co_await test::connected_pair(l);
  REQUIRE(co_await client.send_all("ping"));
  auto got = co_await server.recv();
  REQUIRE(got);
  CHECK(got->view() == "ping");
  REQUIRE(co_await server.send_all("pong"));
  auto back = co_await client.recv();
  REQUIRE(back);
  CHECK(back->view() == "pong");
}

/// Sets the environment of the activation protocol.
void set_env(const char* pid, const char* fds, const char* names) {
  ::setenv("LISTEN_PID", pid, 1);
  ::setenv("LISTEN_FDS", fds, 1);
  if (names) ::setenv("LISTEN_FDNAMES", names, 1);
}
bool env_clear() { return !std::getenv("LISTEN_PID") && !std::getenv("LISTEN_FDS") && !std::getenv("LISTEN_FDNAMES"); }

}  // namespace

TEST_CASE_TEMPLATE("adopt: serves a listening socket made elsewhere, in the backend's mode", B, CORING_BACKENDS) {
  // Made blocking or not: adopt() sets what the backend needs, and FD_CLOEXEC.
  for (int made_flags : {0, int{SOCK_NONBLOCK}}) {
    test::run_on<B>([made_flags]() -> Task<> {
      const int fd = plain_socket(SOCK_STREAM, true, made_flags);
      auto l = Listener::adopt(fd);
      REQUIRE(l);
      CHECK(l->native_handle() == fd);
      const bool nonblocking = ::fcntl(fd, F_GETFL) & O_NONBLOCK;
      CHECK(nonblocking == (B::backend == Backend::epoll));
      CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
      CHECK(l->local_address().port() != 0);
      co_await round_trip(*l);
      co_await round_trip(*l);
      l->close();
      co_await test::nap(std::chrono::milliseconds(5));
      CHECK_FALSE(is_open(fd));  // the Listener owned it
    });
  }
}

TEST_CASE_TEMPLATE("adopt: refuses what is not a listening stream socket, and leaves the fd open", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    auto pipe_l = Listener::adopt(p[0]);
    REQUIRE_FALSE(pipe_l);
    CHECK(pipe_l.error() == errc::not_a_socket);
    CHECK(is_open(p[0]));
    ::close(p[0]);
    ::close(p[1]);

    const int udp = plain_socket(SOCK_DGRAM, false);
    auto udp_l = Listener::adopt(udp);
    REQUIRE_FALSE(udp_l);
    CHECK(udp_l.error() == errc::invalid_argument);
    CHECK(is_open(udp));
    ::close(udp);

    const int bound = plain_socket(SOCK_STREAM, false);  // bound, not listening
    auto bound_l = Listener::adopt(bound);
    REQUIRE_FALSE(bound_l);
    CHECK(bound_l.error() == errc::invalid_argument);
    CHECK(is_open(bound));
    ::close(bound);

    auto closed = Listener::adopt(bound);  // no longer open
    REQUIRE_FALSE(closed);
    CHECK(closed.error() == errc::bad_file_descriptor);
    co_return;
  });
}

TEST_CASE_TEMPLATE("graceful stop: accept() hands out every connection taken or waiting in the backlog", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = Listener::bind("127.0.0.1:0");
    REQUIRE(l);
    const SocketAddress addr = l->local_address();
    std::vector<Stream> clients;
    // One accepted before the stop (on io_uring this arms the multishot accept, which may
    // take the next ones into the listener's queue), five more completed by the kernel only.
    auto first = co_await Stream::connect(addr);
    REQUIRE(first);
    auto s0 = co_await l->accept();
    REQUIRE(s0);
    for (int i = 0; i < 5; ++i) {
      auto c = co_await Stream::connect(addr);
      REQUIRE(c);
      clients.push_back(std::move(*c));
    }
    co_await test::nap(std::chrono::milliseconds(10));
    co_await runtime().shutdown(std::chrono::milliseconds(0));  // closes the listener
    int served = 0;
    for (;;) {
      auto s = co_await l->accept();
      if (!s) {
        CHECK(s.error() == errc::operation_canceled);
        break;
      }
      REQUIRE(co_await s->send_all("ok"));  // open and usable, not reset
      ++served;
    }
    CHECK(served == 5);
    for (Stream& c : clients) {
      auto got = co_await c.recv();
      REQUIRE(got);
      CHECK(got->view() == "ok");
    }
    auto after = co_await l->accept();  // stays ended
    CHECK(after.error() == errc::operation_canceled);
    CHECK(l->native_handle() == -1);
    auto refused = co_await Stream::connect(addr);  // the socket is closed
    CHECK_FALSE(refused);
  });
}

TEST_CASE("activation_fds: reads LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES from 3 on, and unsets them") {
  // Whatever the test process has at fds 3 and 4 is put aside and restored.
  const int saved3 = ::fcntl(3, F_DUPFD_CLOEXEC, 100), saved4 = ::fcntl(4, F_DUPFD_CLOEXEC, 100);
  const auto high = [](int fd) {  // off 3 and 4, which the dup2s below replace
    const int h = ::fcntl(fd, F_DUPFD, 100);
    ::close(fd);
    return h;
  };
  const int a = high(plain_socket(SOCK_STREAM, true)), b = high(plain_socket(SOCK_STREAM, true));
  REQUIRE(::dup2(a, 3) == 3);
  REQUIRE(::dup2(b, 4) == 4);
  ::close(a);
  ::close(b);
  const std::string me = std::to_string(::getpid());

  set_env(me.c_str(), "2", "http:admin");
  auto got = activation_fds();
  REQUIRE(got);
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].fd == 3);
  CHECK((*got)[0].name == "http");
  CHECK((*got)[1].fd == 4);
  CHECK((*got)[1].name == "admin");
  CHECK((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(env_clear());
  CHECK(activation_fds()->empty());  // read once

  set_env("1", "2", nullptr);  // another process's
  CHECK(activation_fds()->empty());
  CHECK(env_clear());

  set_env(me.c_str(), "two", nullptr);
  CHECK(activation_fds().error() == errc::invalid_argument);
  CHECK(env_clear());

  set_env(me.c_str(), "1", nullptr);  // no names: ""
  got = activation_fds();
  REQUIRE(got);
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].name.empty());

  // Served through adopt() on each backend.
  test::run_on<test::Epoll>([]() -> Task<> {
    auto l = Listener::adopt(::dup(3));
    REQUIRE(l);
    co_await round_trip(*l);
  });

  ::close(3);
  ::close(4);
  set_env(me.c_str(), "1", nullptr);  // fd 3 not open
  CHECK(activation_fds().error() == errc::invalid_argument);
  if (saved3 >= 0) ::dup2(saved3, 3), ::close(saved3);
  if (saved4 >= 0) ::dup2(saved4, 4), ::close(saved4);
}
