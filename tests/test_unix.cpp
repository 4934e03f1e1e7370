// Unix-domain streams and listeners: file-system paths and abstract names, round trips on both backends.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "support.hpp"

using namespace coring;

namespace {

std::string temp_path() {
  static std::atomic<int> n{0};
  return "/tmp/coring-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".sock";
}
std::string abstract_name() {
  static std::atomic<int> n{0};
  return "@coring-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}
bool exists(const std::string& p) {
  struct stat st{};
  return ::lstat(p.c_str(), &st) == 0;
}
// A socket file with nobody listening: what a crashed server leaves behind.
void leave_stale_socket(const std::string& p) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::snprintf(un.sun_path, sizeof un.sun_path, "%s", p.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0);
  ::close(fd);
}

// Connects to `addr` through `l`, sends a request each way and checks the bytes.
Task<> round_trip(Listener& l, SocketAddress addr) {
  auto c = co_await Stream::connect(addr);
  REQUIRE(c);
  auto s = co_await l.accept();
  REQUIRE(s);
  REQUIRE(co_await c->send_all("ping"));
  auto got = co_await s->recv();
  REQUIRE(got);
  CHECK(got->view() == "ping");
  REQUIRE(co_await s->send_all("pong"));
  std::string back;
  REQUIRE(s->shutdown());
  CHECK(co_await test::recv_to_eof(*c, &back));
  CHECK(back == "pong");
  auto peer = c->peer_address();
  REQUIRE(peer);
  CHECK(peer->to_string() == addr.to_string());
  auto client_side = s->peer_address();  // the client's socket has no name
  REQUIRE(client_side);
  CHECK(client_side->is_unix());
  CHECK(client_side->to_string() == "unix:");
}

}  // namespace

TEST_CASE("unix addresses: parse, path, to_string, limits") {
  auto a = SocketAddress::parse("unix:/run/app.sock");
  REQUIRE(a);
  CHECK(a->is_unix());
  CHECK(a->family() == AF_UNIX);
  CHECK(a->path() == "/run/app.sock");
  CHECK(a->to_string() == "unix:/run/app.sock");
  CHECK(a->port() == 0);
  CHECK(a->size() == offsetof(sockaddr_un, sun_path) + sizeof("/run/app.sock"));
  auto b = SocketAddress::unix_path("@name");
  REQUIRE(b);
  CHECK(b->path() == "@name");
  CHECK(b->to_string() == "unix:@name");
  CHECK(b->size() == offsetof(sockaddr_un, sun_path) + 1 + 4);  // no terminating NUL in the abstract namespace
  CHECK(b->data()->sa_family == AF_UNIX);
  CHECK(SocketAddress::unix_path("").error() == errc::invalid_argument);
  CHECK(SocketAddress::unix_path("@").error() == errc::invalid_argument);
  CHECK(SocketAddress::unix_path(std::string_view("a\0b", 3)).error() == errc::invalid_argument);
  CHECK(SocketAddress::unix_path(std::string(107, 'x')));
  CHECK(SocketAddress::unix_path(std::string(108, 'x')).error() == errc::filename_too_long);
  CHECK(SocketAddress::unix_path("@" + std::string(107, 'x')));
  CHECK(SocketAddress::unix_path("@" + std::string(108, 'x')).error() == errc::filename_too_long);
  CHECK(SocketAddress::parse("127.0.0.1:80")->path().empty());
}

TEST_CASE_TEMPLATE("unix: a stream over a file-system path, and the file removed at close", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    const std::string p = temp_path();
    auto addr = SocketAddress::unix_path(p);
    REQUIRE(addr);
    auto l = Listener::bind(*addr);
    REQUIRE(l);
    CHECK(exists(p));
    CHECK(l->local_address().to_string() == "unix:" + p);
    co_await round_trip(*l, *addr);
    l->close();
    CHECK_FALSE(exists(p));  // the listener removed its own file
    auto refused = co_await Stream::connect(*addr);
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::no_such_file_or_directory);
  });
}

TEST_CASE_TEMPLATE("unix: an abstract name needs no file", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    const std::string name = abstract_name();
    auto addr = SocketAddress::parse("unix:" + name);
    REQUIRE(addr);
    auto l = Listener::bind(*addr);
    REQUIRE(l);
    CHECK(l->local_address().path() == name);
    co_await round_trip(*l, *addr);
    co_await round_trip(*l, *addr);  // a second connection to the same listener
    l->close();
    co_await test::nap(std::chrono::milliseconds(20));  // io_uring closes the socket with its next submission
    auto refused = co_await Stream::connect(*addr);
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::connection_refused);
  });
}

TEST_CASE_TEMPLATE("unix: a stale socket file blocks bind unless removed - other files are never removed", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    const std::string p = temp_path();
    leave_stale_socket(p);
    auto addr = SocketAddress::unix_path(p);
    REQUIRE(addr);
    auto busy = Listener::bind(*addr);
    REQUIRE_FALSE(busy);
    CHECK(busy.error() == errc::address_in_use);
    auto l = Listener::bind(*addr, {.remove_stale_unix_path = true});
    REQUIRE(l);
    co_await round_trip(*l, *addr);
    // A second listener on a live path: removing it is the caller's choice, and the first
    // listener then leaves the new file alone when it closes.
    auto l2 = Listener::bind(*addr, {.remove_stale_unix_path = true});
    REQUIRE(l2);
    l->close();
    CHECK(exists(p));
    co_await round_trip(*l2, *addr);
    l2->close();
    CHECK_FALSE(exists(p));
    // A regular file is not a socket: never removed.
    std::FILE* f = std::fopen(p.c_str(), "w");
    REQUIRE(f);
    std::fclose(f);
    auto blocked = Listener::bind(*addr, {.remove_stale_unix_path = true});
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error() == errc::address_in_use);
    CHECK(exists(p));
    ::unlink(p.c_str());
  });
}

TEST_CASE_TEMPLATE("unix: a graceful stop closes the listener and removes its file", B, CORING_BACKENDS) {
  static std::string p;
  p = temp_path();
  test::run_on<B>([]() -> Task<> {
    auto addr = SocketAddress::unix_path(p);
    REQUIRE(addr);
    auto l = Listener::bind(*addr);
    REQUIRE(l);
    co_await runtime().shutdown(std::chrono::milliseconds(100));
    auto a = co_await l->accept();
    REQUIRE_FALSE(a);
    CHECK(a.error() == errc::operation_canceled);
    CHECK_FALSE(exists(p));
  });
}
