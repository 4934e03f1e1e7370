// Fault handling on both backends: EMFILE on accept, pool exhaustion, slow peers, cancellation, frame destruction.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <type_traits>
#include <cstdlib>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::bytes_of;
using test::connected_pair;
using test::nap;
using test::Pair;
using test::recv_once;
using test::under;
using test::recv_to_eof;
using test::make_pattern;
using test::pattern;
using test::small_buffers;




Task<Result<Stream>> accept_once(Listener& l) { co_return co_await l.accept(); }

Task<bool> recv_exact(Stream& s, std::string& out, std::size_t want) {
  while (out.size() < want) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return false;
    out.append(b->view());
  }
  co_return true;
}

/// Reads until EOF; false on error. Counts bytes only when `out` is null.
/// Sends 1 MiB chunks until an error (the peer never reads, so: until cancelled).
Task<Result<std::size_t>> send_forever(Stream& s, std::size_t* total = nullptr) {
  const std::string chunk = make_pattern(9, 1 << 20);
  for (;;) {
    auto r = co_await s.send_all(bytes_of(chunk));
    if (!r) co_return r.error();
    if (total) *total += *r;
  }
}

Task<> echo_conn(Stream s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) break;
    if (!co_await s.send_all(*b)) break;
  }
  (void)s.shutdown();
}


}  // namespace

// ---------------------------------------------------------------------------
// EMFILE on accept.

namespace {

struct AcceptLog {
  int accepted = 0;
  int errors = 0;
  bool stopped = false;
};

Task<> logging_acceptor(Listener l, AcceptLog* log) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) {
      // Only the runtime's stop (operation_canceled) may end this loop.
      if (s.error() != errc::operation_canceled) ++log->errors;
      log->stopped = true;
      co_return;
    }
    ++log->accepted;
    spawn(echo_conn(std::move(*s)));
  }
}

int highest_open_fd() {
  int hi = -1;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 1023;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    hi = std::max(hi, std::atoi(e->d_name));
  }
  ::closedir(d);
  return hi;
}

/// Lowers RLIMIT_NOFILE's soft limit just above the open descriptors and
/// fills the table; the destructor frees it and restores the limit.
struct FdTableFull {
  rlimit saved{};
  std::vector<int> fillers;
  bool lowered = false;

  bool fill() {
    if (::getrlimit(RLIMIT_NOFILE, &saved) < 0) return false;
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(highest_open_fd() + 1 + 16);
    if (low.rlim_cur > saved.rlim_cur) return false;
    if (::setrlimit(RLIMIT_NOFILE, &low) < 0) return false;
    lowered = true;
    for (;;) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return errno == EMFILE;
      fillers.push_back(fd);
    }
  }
  void free() {
    for (int fd : fillers) ::close(fd);
    fillers.clear();
    if (lowered) ::setrlimit(RLIMIT_NOFILE, &saved);
    lowered = false;
  }
  ~FdTableFull() { free(); }
};

struct RawClients {
  std::vector<int> fds;
  ~RawClients() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

constexpr int kWaitingClients = 8;

}  // namespace

TEST_CASE_TEMPLATE("accept under EMFILE: backs off without spinning, then serves the waiting clients", B,
                   CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    AcceptLog log;
    Listener l = test::listen_local();
    auto addr = l.local_address();

    // Client sockets exist before the table fills; connecting needs no new descriptor.
    RawClients raw;
    for (int i = 0; i < kWaitingClients; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      raw.fds.push_back(fd);
    }
    FdTableFull table;
    REQUIRE(table.fill());
    REQUIRE(::open("/dev/null", O_RDONLY) < 0);

    // Accepting starts only now: io_uring reads RLIMIT_NOFILE when the accept
    // is submitted, so an accept armed before the limit was lowered would not
    // see EMFILE.
    spawn(logging_acceptor(std::move(l), &log));
    co_await nap(1ms);  // the acceptor is now waiting in accept()

    const RuntimeStats before = rt.stats();
    for (int fd : raw.fds) REQUIRE(::connect(fd, addr.data(), addr.size()) == 0);  // completes in the backlog
    co_await nap(300ms);
    const RuntimeStats during = rt.stats();

    const uint64_t backoffs = during.accept_backoffs - before.accept_backoffs;
    const uint64_t turns = during.loop_turns - before.loop_turns;
    const AcceptLog seen = log;
    // Free the table before asserting: with no descriptor left, even the
    // sanitizers' own checks (UBSan's vptr check opens a pipe) would fail.
    table.free();

    {  // (doctest's INFO must not stay alive across a co_await)
      INFO("accept_backoffs +" << backoffs << ", loop_turns +" << turns);
      CHECK(backoffs >= 1);   // EMFILE was hit and counted
      CHECK(backoffs <= 30);  // ... but retried on a timer, not in a loop
      CHECK(turns < 3000);    // the loop slept instead of spinning
      CHECK(seen.errors == 0);
      CHECK(!seen.stopped);  // the accept loop did not fail
      CHECK(seen.accepted == 0);
    }

    // Every waiting client gets served once descriptors are available again.
    std::vector<Stream> clients;
    for (int& fd : raw.fds) {
      if (rt.backend() == Backend::epoll) REQUIRE(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
      auto s = Stream::adopt(std::exchange(fd, -1));
      REQUIRE(s);
      clients.push_back(std::move(*s));
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const std::string msg = "waiting client " + std::to_string(i);
      REQUIRE(co_await clients[i].send_all(bytes_of(msg)));
      std::string in;
      REQUIRE(co_await with_timeout(recv_exact(clients[i], in, msg.size()), 10s));
      CHECK(in == msg);
    }
    CHECK(log.accepted == kWaitingClients);
    CHECK(log.errors == 0);
    CHECK(rt.stats().connections_accepted == kWaitingClients);
  });
}

// ---------------------------------------------------------------------------
// Receive pool exhaustion.

namespace {
constexpr int kPoolConns = 32;
constexpr std::size_t kPoolBytes = 64 * 1024;

struct SinkLog {
  int recv_errors = 0;
  int finished = 0;
};

uint64_t fnv(uint64_t h, std::string_view s) {
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

/// Reads slowly at first, then at full speed; replies with the length and hash of what came.
Task<> slow_sink(Stream s, SinkLog* log) {
  co_await nap(30ms);
  uint64_t len = 0, hash = 14695981039346656037ull;
  for (int n = 0;; ++n) {
    auto b = co_await s.recv();
    if (!b) {
      ++log->recv_errors;
      co_return;
    }
    if (b->empty()) break;
    len += b->size();
    hash = fnv(hash, b->view());
    if (n < 8) co_await nap(2ms);  // slow at first, holding the buffer meanwhile
    b->reset();
  }
  std::string reply = std::to_string(len) + ":" + std::to_string(hash) + "\n";
  (void)co_await s.send_all(bytes_of(reply));
  ++log->finished;
}

Task<> sink_server(Listener l, SinkLog* log) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    spawn(slow_sink(std::move(*s), log));
  }
}

Task<bool> pool_client(SocketAddress addr, int id) {
  auto c = co_await Stream::connect(addr);
  if (!c) co_return false;
  const std::string data = make_pattern(static_cast<uint64_t>(id), kPoolBytes);
  if (!co_await c->send_all(bytes_of(data))) co_return false;
  if (!c->shutdown(ShutdownHow::write)) co_return false;
  std::string reply;
  if (!co_await recv_to_eof(*c, &reply)) co_return false;
  const std::string want =
      std::to_string(kPoolBytes) + ":" + std::to_string(fnv(14695981039346656037ull, data)) + "\n";
  if (reply != want) {
    FAIL_CHECK("client " << id << ": server saw " << reply << " expected " << want);
    co_return false;
  }
  co_return true;
}
}  // namespace

TEST_CASE_TEMPLATE("buffer pool exhaustion is backpressure: everything arrives intact, no recv error", B,
                   CORING_BACKENDS) {
  RuntimeOptions opts;
  opts.buffer_count = 16;
  opts.buffer_size = 4096;
  opts.buffers_per_connection = 4;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        SinkLog log;
        Listener l = test::listen_local();
        auto addr = l.local_address();
        spawn(sink_server(std::move(l), &log));
        std::vector<Task<bool>> clients;
        for (int i = 0; i < kPoolConns; ++i) clients.push_back(pool_client(addr, i));
        auto ok = co_await with_timeout(when_all(std::move(clients)), 20s);
        if (!ok) {
          const RuntimeStats st = rt.stats();
          INFO("stalled: " << ok.error().message() << "; sinks finished " << log.finished << ", recv errors "
                           << log.recv_errors << ", buffers_in_use " << st.buffers_in_use << ", buffer_exhausted "
                           << st.buffer_exhausted << ", recv_paused " << st.recv_paused << ", connections_open "
                           << st.connections_open);
          REQUIRE(ok);
        }
        CHECK(std::count(ok->begin(), ok->end(), true) == kPoolConns);
        CHECK(log.recv_errors == 0);
        CHECK(log.finished == kPoolConns);
        const RuntimeStats st = rt.stats();
        INFO("buffer_exhausted " << st.buffer_exhausted << ", recv_paused " << st.recv_paused);
        CHECK(st.buffer_exhausted + st.recv_paused > 0);
        CHECK(st.buffers_in_use == 0);
      },
      opts);
}

// ---------------------------------------------------------------------------
// A client that never reads.

namespace {
constexpr uint32_t kShare = 4;

struct HogLog {
  Result<std::size_t> server_send = std::size_t{0};
  Result<std::size_t> hog_send = std::size_t{0};
  std::size_t hog_bytes = 0;
  bool server_send_done = false;
  bool echo_ok = false;
  bool echo_done_while_blocked = false;
  bool echo_active = false;
  uint64_t max_in_use = 0;
  bool monitoring = true;
};

/// The server side of the hog: one recv (so receiving is armed), then a send the peer never reads.
Task<> blocked_server(Stream& s, HogLog* log) {
  {
    auto first = co_await s.recv();
    REQUIRE(first);
    REQUIRE(!first->empty());
  }
  const std::string big(64 << 20, 'b');
  log->server_send = co_await with_timeout(s.send_all(bytes_of(big)), 700ms);
  log->server_send_done = true;
}

/// The hog: sends as fast as it can and never reads.
Task<> hog(Stream& c, HogLog* log) {
  REQUIRE(co_await c.send_all(std::string_view("start")));
  log->hog_send = co_await with_timeout(send_forever(c, &log->hog_bytes), 700ms);
}

/// Meanwhile another connection is served.
Task<> echo_meanwhile(Stream& c, HogLog* log) {
  co_await nap(250ms);
  bool ok = true;
  for (int i = 0; i < 20 && ok; ++i) {
    log->echo_active = true;
    const std::string msg = "echo " + std::to_string(i);
    ok = bool(co_await c.send_all(bytes_of(msg)));
    std::string in;
    ok = ok && co_await recv_exact(c, in, msg.size()) && in == msg;
    log->echo_active = false;
  }
  log->echo_ok = ok;
  log->echo_done_while_blocked = !log->server_send_done;
}

/// Samples the pool while no echo is in progress.
Task<> monitor(Runtime& rt, HogLog* log) {
  while (!log->server_send_done) {
    if (!log->echo_active) log->max_in_use = std::max(log->max_in_use, rt.stats().buffers_in_use);
    co_await nap(1ms);
  }
}
}  // namespace

TEST_CASE_TEMPLATE("a peer that never reads: send_all times out, memory stays bounded, others are served", B,
                   CORING_BACKENDS) {
  RuntimeOptions opts;
  opts.buffers_per_connection = kShare;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        HogLog log;
        Listener l = test::listen_local();
        Pair hogp = co_await connected_pair(l);
        Pair echop = co_await connected_pair(l);
        spawn(echo_conn(std::move(echop.server)));
        co_await when_all(blocked_server(hogp.server, &log), hog(hogp.client, &log),
                          echo_meanwhile(echop.client, &log), monitor(rt, &log));

        REQUIRE(!log.server_send);
        CHECK(log.server_send.error() == errc::timed_out);
        REQUIRE(!log.hog_send);
        CHECK(log.hog_send.error() == errc::timed_out);
        CHECK(log.hog_bytes > 0);  // the hog did keep sending for a while
        CHECK(log.echo_ok);
        CHECK(log.echo_done_while_blocked);
        {
          INFO("max buffers in use " << log.max_in_use << " (share " << kShare << ")");
          // epoll reads only when asked: strict. io_uring's multishot recv
          // (recv_byte_limit with defer_taskrun) is stopped by a cancel from
          // the completion that fills the share, submitted on the next
          // io_uring_enter: the pieces the kernel posts in the same task-work
          // run land past the share (queued and counted; docs/architecture.md,
          // "Backpressure"). Seen here: share + 2 under load, in one run of 60.
          // A receive that was not paused would take the whole pool (2,048).
          // Without multishot receives are single-shot, one piece each:
          // strict (CORING_URING_OFF=all runs this so).
          CHECK(log.max_in_use <= (std::is_same_v<B, test::Epoll> ? kShare : 2 * kShare));
        }

        // The timed-out stream is still usable: its peer reads what came, then
        // EOF. (shutdown, not close: the hog's unread bytes would make close send RST.)
        REQUIRE(hogp.server.shutdown(ShutdownHow::write));
        std::size_t drained = 0;
        CHECK(co_await recv_to_eof(hogp.client, nullptr, &drained));
        CHECK(drained > 0);
      },
      opts);
}

// ---------------------------------------------------------------------------
// Cancelling operations in flight.

namespace {
Task<> cancel_after(CancelSource& src, Duration d) {
  co_await nap(d);
  src.cancel();
}
}  // namespace

TEST_CASE_TEMPLATE("cancelling a recv in flight: timed_out / operation_canceled, the stream stays usable", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);

    auto r = co_await with_timeout(p.server.recv(), 30ms);
    REQUIRE(!r);
    CHECK(r.error() == errc::timed_out);
    REQUIRE(co_await p.client.send_all(std::string_view("after timeout")));
    std::string in;
    CHECK(co_await recv_exact(p.server, in, 13));
    CHECK(in == "after timeout");

    CancelSource src;
    auto [r2, done] = co_await when_all(under(src, recv_once(p.server)), cancel_after(src, 20ms));
    (void)done;
    REQUIRE(!r2);
    CHECK(r2.error() == errc::operation_canceled);
    REQUIRE(co_await p.client.send_all(std::string_view("after cancel")));
    in.clear();
    CHECK(co_await recv_exact(p.server, in, 12));
    CHECK(in == "after cancel");

    // Both directions still work, and the close is clean.
    REQUIRE(co_await p.server.send_all(std::string_view("bye")));
    REQUIRE(p.server.shutdown(ShutdownHow::write));
    in.clear();
    CHECK(co_await recv_to_eof(p.client, &in));
    CHECK(in == "bye");
  });
}

TEST_CASE_TEMPLATE("cancelling an accept in flight: timed_out / operation_canceled, the listener stays usable", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto a = co_await with_timeout(l.accept(), 30ms);
    REQUIRE(!a);
    CHECK(a.error() == errc::timed_out);

    CancelSource src;
    auto [a2, done] = co_await when_all(under(src, accept_once(l)), cancel_after(src, 20ms));
    (void)done;
    REQUIRE(!a2);
    CHECK(a2.error() == errc::operation_canceled);

    Pair p = co_await connected_pair(l);
    REQUIRE(co_await p.client.send_all(std::string_view("hi")));
    std::string in;
    CHECK(co_await recv_exact(p.server, in, 2));
    CHECK(in == "hi");
  });
}

TEST_CASE_TEMPLATE("cancelling a blocked send: timed_out, then the stream closes cleanly", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    small_buffers(p.server);
    small_buffers(p.client);
    std::size_t sent = 0;
    auto r = co_await with_timeout(send_forever(p.server, &sent), 50ms);
    REQUIRE(!r);
    CHECK(r.error() == errc::timed_out);
    p.server.close();
    std::size_t got = 0;
    CHECK(co_await recv_to_eof(p.client, nullptr, &got));  // EOF, not a reset
    CHECK(got >= sent);
    CHECK(got < sent + (1 << 20));  // at most the part of the cancelled chunk that went out
  });
}

namespace {
Task<Result<std::size_t>> send_block(Stream& s, const std::string& data) { co_return co_await s.send_all(bytes_of(data)); }

Task<bool> cancel_then_read(CancelSource& src, Stream& c, std::string& got, std::size_t want) {
  co_await nap(20ms);
  src.cancel();
  co_return co_await recv_exact(c, got, want);
}
}  // namespace

TEST_CASE_TEMPLATE("cancelling a queued send leaves the stream in order: its bytes never go out", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    small_buffers(p.server);
    small_buffers(p.client);
    const std::string first = make_pattern(1, 2 << 20);  // blocks: the client reads only later
    const std::string second(1 << 20, 'X');               // waits its turn, then is cancelled
    std::string got;
    CancelSource src;
    auto [a, b, read] = co_await when_all(send_block(p.server, first), under(src, send_block(p.server, second)),
                                          cancel_then_read(src, p.client, got, first.size()));
    REQUIRE(a);
    CHECK(*a == first.size());
    REQUIRE(!b);
    CHECK(b.error() == errc::operation_canceled);
    CHECK(read);
    REQUIRE(co_await p.server.send_all(std::string_view("tail")));
    REQUIRE(p.server.shutdown(ShutdownHow::write));
    CHECK(co_await recv_to_eof(p.client, &got));
    REQUIRE(got.size() == first.size() + 4);
    CHECK(got.compare(0, first.size(), first) == 0);
    CHECK(got.substr(first.size()) == "tail");
  });
}

// ---------------------------------------------------------------------------
// Frames destroyed with operations in flight (meaningful under ASan).

TEST_CASE_TEMPLATE("when_any losers parked in recv, accept and send are torn down safely", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Listener l2 = test::listen_local();
    Pair p = co_await connected_pair(l);
    Pair hog = co_await connected_pair(l);
    small_buffers(hog.server);
    small_buffers(hog.client);
    auto w = co_await when_any(recv_once(p.server), accept_once(l2), send_forever(hog.server), nap(20ms));
    CHECK(w.index() == 3);

    // Each object the losers waited on still works.
    REQUIRE(co_await p.client.send_all(std::string_view("still here")));
    std::string in;
    CHECK(co_await recv_exact(p.server, in, 10));
    CHECK(in == "still here");
    Pair q = co_await connected_pair(l2);
    REQUIRE(co_await q.server.send_all(std::string_view("ok")));
    in.clear();
    CHECK(co_await recv_exact(q.client, in, 2));
    hog.server.close();
    std::size_t drained = 0;
    CHECK(co_await recv_to_eof(hog.client, nullptr, &drained));
  });
}

namespace {
/// Runs a task under a cancel state nobody cancels, so a stopping runtime
/// cannot cancel what it waits on: the frame is destroyed with it in flight.
template <class T>
struct Shielded {
  Task<T> task;
  detail::CancelState never;
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    auto th = task.handle();
    th.promise().continuation = h;
    th.promise().cancel = &never;
    return th;
  }
  T await_resume() { return task.handle().promise().result(); }
};
template <class T>
Shielded<T> shielded(Task<T> t) {
  return Shielded<T>{std::move(t), {}};
}

/// Counts live frames: incremented on entry, decremented when the frame dies.
struct Alive {
  int* n;
  explicit Alive(int* c) : n(c) { ++*n; }
  ~Alive() { --*n; }
};

Task<Result<RecvBuffer>> nested_recv(Stream& s) {
  auto r = co_await recv_once(s);  // two frames deep
  co_return r;
}

Task<> stuck_recv(Pair p, int* alive, int* finished) {
  Alive a(alive);
  (void)co_await shielded(nested_recv(p.server));
  ++*finished;
}
Task<> stuck_send(Pair p, int* alive, int* finished) {
  Alive a(alive);
  small_buffers(p.server);
  small_buffers(p.client);
  (void)co_await shielded(send_forever(p.server));
  ++*finished;
}
Task<> stuck_accept(Listener l, int* alive, int* finished) {
  Alive a(alive);
  (void)co_await shielded(accept_once(l));
  ++*finished;
}
Task<int> two_sends(Stream& s) {
  (void)co_await when_all(send_forever(s), send_forever(s));
  co_return 0;
}
Task<> stuck_queued_send(Pair p, int* alive, int* finished) {
  Alive a(alive);
  small_buffers(p.server);
  small_buffers(p.client);
  // One send in flight and one queued behind it, both destroyed.
  (void)co_await shielded(two_sends(p.server));
  ++*finished;
}
}  // namespace

TEST_CASE_TEMPLATE("spawned tasks destroyed at stop with recv/send/accept in flight", B, CORING_BACKENDS) {
  int alive = 0, finished = 0;
  RuntimeOptions opts;
  opts.drain_timeout = 50ms;
  Runtime* seen = nullptr;
  RuntimeStats after{};
  {
    opts.backend = B::backend;
    Runtime rt(opts);
    if (rt.backend() != B::backend) {
      MESSAGE("skipped on " << B::name << ": " << rt.fallback_reason());
      return;
    }
    seen = &rt;
    rt.block_on([](int* alive, int* finished) -> Task<> {
      Listener l = test::listen_local();
      spawn(stuck_recv(co_await connected_pair(l), alive, finished));
      spawn(stuck_send(co_await connected_pair(l), alive, finished));
      spawn(stuck_queued_send(co_await connected_pair(l), alive, finished));
      spawn(stuck_accept(test::listen_local(), alive, finished));
      co_await nap(30ms);
      CHECK(*alive == 4);
      CHECK(spawned_count() == 4);
    }(&alive, &finished));
    after = rt.stats();
  }
  CHECK(seen != nullptr);
  CHECK(alive == 0);     // every frame was destroyed ...
  CHECK(finished == 0);  // ... without ever resuming
  CHECK(after.connections_open == 0);
  CHECK(after.buffers_in_use == 0);
}
