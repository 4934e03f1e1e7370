// Test support: run a task on a named backend, and the backend tags every network test is templated on.
#pragma once

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "coring/coring.hpp"

namespace coring::test {

struct Uring {
  static constexpr Backend backend = Backend::uring;
  static constexpr const char* name = "uring";
};
struct Epoll {
  static constexpr Backend backend = Backend::epoll;
  static constexpr const char* name = "epoll";
};
#define CORING_BACKENDS ::coring::test::Uring, ::coring::test::Epoll

/// The older rungs of io_uring's feature ladder, forced on this kernel:
/// without DEFER_TASKRUN (completions run as task work at any return to user
/// space, COOP_TASKRUN kept), and a plain ring with no optional setup flag.
struct UringNoDefer {
  static constexpr Backend backend = Backend::uring;
  static constexpr const char* name = "uring without defer_taskrun";
  static constexpr const char* uring_off = "defer_taskrun";
};
struct UringPlain {
  static constexpr Backend backend = Backend::uring;
  static constexpr const char* name = "uring with no optional setup flag";
  static constexpr const char* uring_off = "defer_taskrun,single_issuer,coop_taskrun,submit_all";
};
#define CORING_RUNGS ::coring::test::Uring, ::coring::test::UringNoDefer, ::coring::test::UringPlain, ::coring::test::Epoll

/// Runs `make()` or `make(rt)` (returning Task<T>) to completion on a fresh
/// runtime of backend B; the second form lets the task read rt.stats().
/// Returns false (and reports a skip) when io_uring is unavailable.
template <class B, class F>
bool run_on(F&& make, RuntimeOptions opts = {}) {
  opts.backend = B::backend;
  if constexpr (requires { B::uring_off; }) opts.uring_off = B::uring_off;
  Runtime rt(opts);
  if (rt.backend() != B::backend) {
    MESSAGE("skipped on " << B::name << ": " << rt.fallback_reason());
    return false;
  }
  if constexpr (std::is_invocable_v<F&, Runtime&>) {
    rt.block_on(make(rt));
  } else {
    rt.block_on(make());
  }
  return true;
}

/// Deterministic bytes: position `i` of stream number `seed`.
inline char pattern(uint64_t seed, uint64_t i) {
  return static_cast<char>((i * 131 + seed * 7 + (i >> 11) + (seed >> 3)) & 0xff);
}
inline std::string make_pattern(uint64_t seed, std::size_t n, std::size_t from = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = pattern(seed, from + i);
  return s;
}
inline std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
/// Appends what arrives to `out` and/or counts it in `count` until EOF (true) or an error (false).
/// Reads `fd` with plain syscalls until nothing arrives for `quiet` (a peer
/// outside the runtime, to see exactly what went on the wire).
inline std::string read_raw(int fd, std::chrono::milliseconds quiet) {
  std::string got;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    got.append(buf.data(), static_cast<std::size_t>(n));
  }
  return got;
}

inline Task<bool> recv_to_eof(Stream& s, std::string* out, std::size_t* count = nullptr) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b) co_return false;
    if (b->empty()) co_return true;
    if (out) out->append(b->view());
    if (count) *count += b->size();
  }
}
/// Sends all of `data`, then half-closes: the peer sees EOF after it.
inline Task<bool> send_and_shutdown(Stream& s, const std::string& data) {
  auto r = co_await s.send_all(bytes_of(data));
  co_return r && *r == data.size() && bool(s.shutdown(ShutdownHow::write));
}
/// Small kernel socket buffers, so large sends go short and have to wait for the peer.
inline void small_buffers(const Stream& s) {
  int sz = 16 * 1024;
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

/// A loopback listener on an ephemeral port.
inline Listener listen_local(ListenOptions opts = {}) {
  auto l = Listener::bind("127.0.0.1:0", opts);
  REQUIRE(l);
  return std::move(*l);
}

/// Both ends of one loopback connection to `l`.
struct Pair {
  Stream client;
  Stream server;
};
inline Task<Pair> connected_pair(Listener& l) {
  auto c = co_await Stream::connect(l.local_address());
  REQUIRE(c);
  auto s = co_await l.accept();
  REQUIRE(s);
  co_return Pair{std::move(*c), std::move(*s)};
}

/// A temporary file of `n` pattern bytes (stream `seed`), removed with its directory.
struct TempFile {
  std::filesystem::path dir, path;
  std::string data;
  explicit TempFile(std::size_t n, uint64_t seed = 11) : data(make_pattern(seed, n)) {
    char tmpl[] = "/tmp/coring-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir / "f.bin";
    std::ofstream(path, std::ios::binary) << data;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
};

/// sleep_for with its result dropped.
inline Task<> nap(Duration d) { (void)co_await sleep_for(d); }

/// One recv as a task (to run it under with_cancel, when_all, ...).
inline Task<Result<RecvBuffer>> recv_once(Stream& s) { co_return co_await s.recv(); }

/// Runs `t` in a scope that `src` cancels.
template <class T>
Task<T> under(CancelSource& src, Task<T> t) {
  co_return co_await with_cancel(std::move(t), src);
}

}  // namespace coring::test
