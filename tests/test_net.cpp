// Streams and listeners on both backends: echo under load, send ordering, half-close, reset, refused connect, close().
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::bytes_of;
using test::recv_to_eof;
using test::send_and_shutdown;
using test::make_pattern;
using test::pattern;
using test::small_buffers;



/// Echoes everything back; at EOF shuts its write side and returns.
Task<> echo_conn(Stream s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) break;
    if (!co_await s.send_all(*b)) break;
  }
  (void)s.shutdown();
}

/// Accepts forever (until cancelled), one echo task per connection.
Task<> echo_server(Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    spawn(echo_conn(std::move(*s)));
  }
}

/// Reads until `want` bytes arrived (or EOF / error); appends them to `out`.
Task<bool> recv_exact(Stream& s, std::string& out, std::size_t want) {
  while (out.size() < want) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return false;
    out.append(b->view());
  }
  co_return true;
}

/// Reads until EOF; false on error.
}  // namespace

TEST_CASE_TEMPLATE("echo round trip", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto addr = l.local_address();
    spawn([](Listener l) -> Task<> {
      auto s = co_await l.accept();
      REQUIRE(s);
      for (;;) {
        auto b = co_await s->recv();
        if (!b || b->empty()) co_return;
        REQUIRE(co_await s->send_all(*b));
      }
    }(std::move(l)));
    auto c = co_await Stream::connect(addr);
    REQUIRE(c);
    REQUIRE(co_await c->send_all(std::string_view("ping")));
    auto r = co_await c->recv();
    REQUIRE(r);
    CHECK(r->view() == "ping");
  });
}

// ---------------------------------------------------------------------------
// Many connections at once, client and server in one runtime.

namespace {
constexpr int kConns = 200;
constexpr int kMsgs = 50;

Task<bool> many_client(SocketAddress addr, int id) {
  auto c = co_await Stream::connect(addr);
  if (!c) {
    FAIL_CHECK("connect " << id << ": " << c.error().message());
    co_return false;
  }
  std::string in;
  for (int m = 0; m < kMsgs; ++m) {
    const std::size_t len = 1 + (static_cast<std::size_t>(id) * kMsgs + m) * 37 % 3000;
    std::string msg = make_pattern(static_cast<uint64_t>(id) * 1000 + m, len);
    if (!co_await c->send_all(bytes_of(msg))) co_return false;
    in.clear();
    if (!co_await recv_exact(*c, in, len)) {
      FAIL_CHECK("conn " << id << " msg " << m << ": short echo (" << in.size() << " of " << len << ")");
      co_return false;
    }
    if (in != msg) {
      FAIL_CHECK("conn " << id << " msg " << m << ": echoed bytes differ");
      co_return false;
    }
  }
  co_return true;
}
}  // namespace

TEST_CASE_TEMPLATE("echo: 200 concurrent connections x 50 messages, every byte checked", B, CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    auto addr = l.local_address();
    spawn(echo_server(std::move(l)));
    std::vector<Task<bool>> clients;
    for (int i = 0; i < kConns; ++i) clients.push_back(many_client(addr, i));
    auto ok = co_await when_all(std::move(clients));
    int good = 0;
    for (bool b : ok) good += b ? 1 : 0;
    CHECK(good == kConns);
    CHECK(rt.stats().connections_accepted == kConns);
  });
}

// ---------------------------------------------------------------------------
// 1 MiB echo then SHUT_WR: every byte back, in order.

namespace {
constexpr std::size_t kMiB = 1 << 20;

Task<bool> send_mib_then_shutdown(Stream& s, const std::string& data) {
  // One send in flight: chunks of uneven sizes, each awaited before the next.
  std::size_t off = 0, step = 1000;
  while (off < data.size()) {
    std::size_t n = std::min(step, data.size() - off);
    auto r = co_await s.send_all(bytes_of(data).subspan(off, n));
    if (!r || *r != n) co_return false;
    off += n;
    step = step * 3 % 100'003 + 1;
  }
  co_return bool(s.shutdown(ShutdownHow::write));
}
}  // namespace

TEST_CASE_TEMPLATE("echo: 1 MiB then shutdown(write) returns every byte in order", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto addr = l.local_address();
    spawn(echo_server(std::move(l)));
    auto c = co_await Stream::connect(addr);
    REQUIRE(c);
    small_buffers(*c);
    const std::string data = make_pattern(42, kMiB);
    std::string back;
    back.reserve(kMiB);
    auto [sent, got] = co_await when_all(send_mib_then_shutdown(*c, data), recv_to_eof(*c, &back));
    CHECK(sent);
    CHECK(got);
    REQUIRE(back.size() == data.size());
    CHECK(back == data);
  });
}

// ---------------------------------------------------------------------------
// Concurrent send_all on one Stream: blocks never interleave.

namespace {
constexpr int kSenders = 4;
constexpr int kBlocksPerSender = 3;
constexpr std::size_t kBlock = 256 * 1024;

Task<bool> block_sender(Stream& s, int sender) {
  for (int k = 0; k < kBlocksPerSender; ++k) {
    const char value = static_cast<char>(1 + sender * kBlocksPerSender + k);
    std::string block(kBlock, value);
    auto r = co_await s.send_all(bytes_of(block));
    if (!r || *r != kBlock) co_return false;
  }
  co_return true;
}

Task<bool> concurrent_senders(Stream& s) {
  std::vector<Task<bool>> senders;
  for (int i = 0; i < kSenders; ++i) senders.push_back(block_sender(s, i));
  auto ok = co_await when_all(std::move(senders));
  bool all = true;
  for (bool b : ok) all = all && b;
  co_return all && bool(s.shutdown(ShutdownHow::write));
}

Task<bool> slow_receiver(Stream& s, std::string& out) {
  co_await sleep_for(30ms);  // let the socket buffers fill so sends go short and queue up
  co_return co_await recv_to_eof(s, &out);
}
}  // namespace

TEST_CASE_TEMPLATE("send_all from concurrent tasks on one stream never interleaves", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto c = co_await Stream::connect(l.local_address());
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    small_buffers(*c);
    small_buffers(*s);
    std::string got;
    auto [sent, received] = co_await when_all(concurrent_senders(*c), slow_receiver(*s, got));
    CHECK(sent);
    CHECK(received);
    constexpr std::size_t kTotal = kBlock * kSenders * kBlocksPerSender;
    REQUIRE(got.size() == kTotal);
    // Equal-sized blocks that never interleave sit at block-aligned offsets,
    // each one a single value; every value once; a sender's blocks in order.
    std::vector<int> position(1 + kSenders * kBlocksPerSender, -1);
    for (std::size_t b = 0; b < kTotal / kBlock; ++b) {
      const char v = got[b * kBlock];
      bool uniform = true;
      for (std::size_t i = 0; i < kBlock; ++i) uniform = uniform && got[b * kBlock + i] == v;
      INFO("block at offset " << b * kBlock);
      REQUIRE(uniform);
      const int idx = static_cast<unsigned char>(v);
      REQUIRE(idx >= 1);
      REQUIRE(idx <= kSenders * kBlocksPerSender);
      CHECK(position[idx] == -1);
      position[idx] = static_cast<int>(b);
    }
    for (int t = 0; t < kSenders; ++t)
      for (int k = 1; k < kBlocksPerSender; ++k)
        CHECK(position[1 + t * kBlocksPerSender + k - 1] < position[1 + t * kBlocksPerSender + k]);
  });
}

namespace {
}  // namespace

// ---------------------------------------------------------------------------
// Half-close: EOF on one side, the other direction keeps working.

TEST_CASE_TEMPLATE("half-close: recv sees EOF while the server can still send", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto c = co_await Stream::connect(l.local_address());
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    REQUIRE(co_await c->send_all(std::string_view("last words")));
    REQUIRE(c->shutdown(ShutdownHow::write));

    std::string in;
    CHECK(co_await recv_to_eof(*s, &in));  // data, then an empty buffer
    CHECK(in == "last words");
    auto again = co_await s->recv();  // EOF is sticky
    REQUIRE(again);
    CHECK(again->empty());

    // The server's direction is still open: a large reply gets through whole.
    const std::string reply = make_pattern(7, 300'000);
    std::string got;
    auto [sent, received] = co_await when_all(send_and_shutdown(*s, reply), recv_to_eof(*c, &got));
    CHECK(sent);
    CHECK(received);
    CHECK(got.size() == reply.size());
    CHECK(got == reply);
  });
}

// ---------------------------------------------------------------------------
// Peer reset mid-stream.

namespace {
struct ResetSeen {
  int handled = 0;
  int errors = 0;
  std::error_code first_error;
};

/// Replies 64 KiB per message; records how the connection ended.
Task<> reset_conn(Stream s, ResetSeen* seen) {
  const std::string reply = make_pattern(3, 64 * 1024);
  std::error_code err;
  for (;;) {
    auto b = co_await s.recv();
    if (!b) {
      err = b.error();
      break;
    }
    if (b->empty()) break;
    auto r = co_await s.send_all(bytes_of(reply));
    if (!r) {
      err = r.error();
      break;
    }
  }
  if (!err) {  // recv saw the data then EOF-like end: a send must now fail
    for (int i = 0; i < 64 && !err; ++i) {
      auto r = co_await s.send_all(bytes_of(reply));
      if (!r) err = r.error();
    }
  }
  if (err) {
    if (seen->errors++ == 0) seen->first_error = err;
  }
  ++seen->handled;
}

Task<> reset_server(Listener l, ResetSeen* seen) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    spawn(reset_conn(std::move(*s), seen));
  }
}
}  // namespace

TEST_CASE_TEMPLATE("peer reset mid-stream: the server sees an error and keeps serving", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    ResetSeen seen;
    Listener l = test::listen_local();
    auto addr = l.local_address();
    spawn(reset_server(std::move(l), &seen));

    {
      auto c = co_await Stream::connect(addr);
      REQUIRE(c);
      REQUIRE(co_await c->send_all(std::string_view("hello")));
      auto first = co_await c->recv();  // the server is replying: 64 KiB, most of it unread
      REQUIRE(first);
      REQUIRE(!first->empty());
      REQUIRE(co_await c->send_all(std::string_view("more")));  // and it has more to send
      linger lg{1, 0};
      REQUIRE(::setsockopt(c->native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
      c->close();  // RST with data pending in both directions
    }
    for (int i = 0; i < 200 && seen.handled == 0; ++i) co_await sleep_for(5ms);
    REQUIRE(seen.handled == 1);
    CHECK(seen.errors == 1);
    {
      INFO("error: " << seen.first_error.message());
      CHECK((seen.first_error == errc::connection_reset || seen.first_error == errc::broken_pipe));
    }

    // The listener keeps serving.
    auto c2 = co_await Stream::connect(addr);
    REQUIRE(c2);
    REQUIRE(co_await c2->send_all(std::string_view("second")));
    std::string in;
    CHECK(co_await recv_exact(*c2, in, 64 * 1024));
    CHECK(in.substr(0, 64 * 1024) == make_pattern(3, 64 * 1024));
  });
}

// ---------------------------------------------------------------------------
// Connect to a port nobody listens on.

TEST_CASE_TEMPLATE("connect to a closed port fails with connection_refused", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    // A bound but non-listening socket reserves the port, so nobody else can
    // start listening there during the test.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    auto addr = SocketAddress::parse("127.0.0.1:0");
    REQUIRE(addr);
    REQUIRE(::bind(fd, addr->data(), addr->size()) == 0);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    auto target = SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
    auto c = co_await Stream::connect(target);
    ::close(fd);
    REQUIRE(!c);
    CHECK(c.error() == errc::connection_refused);
  });
}

// ---------------------------------------------------------------------------
// close() from another task while one waits.

namespace {
/// A recv that gives up (timed_out) after a few seconds, so a waiter nobody wakes fails the test quickly.
Task<Result<RecvBuffer>> recv_bounded(Stream& s) { co_return co_await with_timeout(s.recv(), 5s); }

Task<> close_later(Stream& s) {
  co_await sleep_for(20ms);
  s.close();
}

/// Sends until the peer's and our socket buffers are full (the peer never reads).
Task<Result<std::size_t>> send_forever(Stream& s) {
  const std::string chunk = make_pattern(9, 1 << 20);
  std::size_t total = 0;
  for (;;) {
    auto r = co_await s.send_all(bytes_of(chunk));
    if (!r) co_return r.error();
    total += *r;
  }
}
Task<Result<std::size_t>> send_bounded(Stream& s) { co_return co_await with_timeout(send_forever(s), 5s); }
}  // namespace

TEST_CASE_TEMPLATE("Stream::close from another task wakes a recv waiter with an error", B, CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    auto c = co_await Stream::connect(l.local_address());
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    auto [r, done] = co_await when_all(recv_bounded(*s), close_later(*s));
    (void)done;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(!s->is_open());
    // The peer sees the close as EOF.
    std::string in;
    CHECK(co_await recv_to_eof(*c, &in));
    CHECK(in.empty());
    CHECK(rt.stats().connections_open == 1);
  });
}

TEST_CASE_TEMPLATE("Stream::close from another task wakes a blocked send_all with an error", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto c = co_await Stream::connect(l.local_address());
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    auto [r, done] = co_await when_all(send_bounded(*s), close_later(*s));
    (void)done;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
  });
}

namespace {
Task<Result<RecvBuffer>> recv_under(Stream& s, CancelSource& source) {
  co_return co_await with_cancel(recv_bounded(s), source);
}

/// Destroys the Stream (its reference goes) and cancels the waiter's scope, both before the
/// waiter that close() woke has run.
Task<> destroy_then_cancel(std::unique_ptr<Stream>& s, CancelSource& source) {
  co_await sleep_for(20ms);
  s.reset();
  source.cancel();
}
}  // namespace

TEST_CASE_TEMPLATE("a recv waiter woken by close, then cancelled, its Stream gone, resumes once", B,
                   CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    auto c = co_await Stream::connect(l.local_address());
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    auto owned = std::make_unique<Stream>(std::move(*s));
    Stream& stream = *owned;
    CancelSource source;
    auto [r, done] = co_await when_all(recv_under(stream, source), destroy_then_cancel(owned, source));
    (void)done;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(rt.stats().connections_open == 1);
  });
}
