// Streamed responses (Response::stream) on both backends, seen by blocking raw-socket clients and curl on the offload pool:
// chunked and sized framing, HEAD, HTTP/1.0, pipelined order, backpressure, and a client that goes away cancelling the body.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;
using namespace std::chrono_literals;

namespace {

/// What the body coroutines report to the test (they run on the shard, the clients on the pool).
struct Probe {
  std::atomic<int> runs{0};
  std::atomic<bool> ended{false};
  std::atomic<int> wait_error{0};   // errno of the sleep that a disconnect cancels
  std::atomic<int> write_error{0};  // errno of the first failed write
  std::atomic<std::uint64_t> written{0};
};

std::string_view view(const std::string& s) { return s; }

Router stream_router(Probe& p) {
  Router r;
  r.get("/", [](Request&) { return Response::text("Hello, World!"); });
  r.get("/chunks", [&p](Request&) {
    return Response::stream([&p](BodyWriter& w) -> Task<Result<void>> {
      ++p.runs;
      auto a = co_await w.write("hello");
      if (!a) co_return a;
      auto b = co_await w.write(std::string_view(" world"));
      co_return b;
    });
  });
  r.get("/sized", [](Request&) {
    return Response::stream(
        [](BodyWriter& w) -> Task<> {  // a Task<> body: a failed write ends the connection anyway
          (void)co_await w.write("hello");
          (void)co_await w.write(" world");
        },
        11);
  });
  r.get("/short", [](Request&) {
    return Response::stream([](BodyWriter& w) -> Task<> { (void)co_await w.write("hello"); }, 20);
  });
  r.get("/long", [&p](Request&) {
    return Response::stream(
        [&p](BodyWriter& w) -> Task<Result<void>> {
          auto a = co_await w.write("hello");
          if (!a) p.write_error = a.error().value();
          co_return a;
        },
        3);
  });
  r.get("/fail", [](Request&) {
    return Response::stream([](BodyWriter& w) -> Task<Result<void>> {
      (void)co_await w.write("part");
      co_return errc::io_error;
    });
  });
  r.get("/throw", [](Request&) {
    return Response::stream([](BodyWriter& w) -> Task<Result<void>> {
      (void)co_await w.write("part");
      throw std::runtime_error("body failed");
    });
  });
  r.get("/empty", [](Request&) { return Response::stream([](BodyWriter&) -> Task<> { co_return; }); });
  // Writes "first", then waits long: only a disconnect (cancelling it) ends it early.
  r.get("/wait", [&p](Request&) {
    return Response::stream([&p](BodyWriter& w) -> Task<Result<void>> {
      ++p.runs;
      (void)co_await w.write("first");
      auto slept = co_await sleep_for(30s);
      p.wait_error = slept ? 0 : slept.error().value();
      auto b = co_await w.write("second");
      p.write_error = b ? 0 : b.error().value();
      p.ended = true;
      co_return b;
    });
  });
  // Two pieces 50 ms apart: a pipelined request arrives in between.
  r.get("/slow", [](Request&) {
    return Response::stream([](BodyWriter& w) -> Task<Result<void>> {
      auto f = co_await w.flush();  // the head at once
      if (!f) co_return f;
      auto a = co_await w.write("a");
      if (!a) co_return a;
      co_await coring::test::nap(50ms);
      auto b = co_await w.write("b");
      co_return b;
    });
  });
  // 32 MiB in 64 KiB pieces, the count published after each write.
  r.get("/big", [&p](Request&) {
    return Response::stream([&p](BodyWriter& w) -> Task<Result<void>> {
      std::string piece = coring::test::make_pattern(1, 64 << 10);
      for (int i = 0; i < 512; ++i) {
        auto a = co_await w.write(view(piece));
        if (!a) co_return a;
        p.written = w.written();
      }
      co_return Result<void>{};
    });
  });
  return r;
}

/// Runs `body(addr, probe)` against a fresh server with the streaming routes on backend B.
template <class B, class F>
void with_stream_server(F body) {
  Probe probe;
  coring::test::run_on<B>([&]() -> Task<> {
    ServerOptions o;
    o.linger_timeout = 200ms;
    Server server(stream_router(probe), o);
    SocketAddress addr = start(server);
    co_await body(addr, probe);
  });
}

/// A blocking client socket outside the runtime (run it on the offload pool).
int connect_raw(const SocketAddress& addr, int rcvbuf = 0) {
  int fd = ::socket(addr.data()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in sin{};
  std::memcpy(&sin, addr.data(), sizeof sin);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
bool send_raw(int fd, std::string_view s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size()); }

/// Reads until EOF (or `quiet` without a byte); `eof` tells which.
std::string read_until_eof(int fd, bool& eof, std::chrono::milliseconds quiet = 3s) {
  std::string got;
  char buf[65536];
  eof = false;
  for (;;) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, static_cast<int>(quiet.count())) <= 0) return got;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      eof = true;
      return got;
    }
    got.append(buf, static_cast<std::size_t>(n));
  }
}
/// Reads until `got` contains `marker` (or 5 s pass).
bool read_until(int fd, std::string& got, std::string_view marker) {
  char buf[65536];
  while (got.find(marker) == std::string::npos) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 5000) <= 0) return false;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

/// One response split off the front of raw bytes: its head fields (lower-cased names) and
/// its body, de-chunked; `complete` false when the bytes end first.
struct Raw {
  int status = 0;
  std::map<std::string, std::string> fields;
  std::string body;
  std::string wire_body;  // the body's bytes as sent (chunk framing included)
  bool complete = false;
};
Raw take_response(std::string& in, bool head_request = false) {
  Raw r;
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.status = parse_head(std::string_view(in.data(), end + 2), r.fields);
  std::size_t at = end + 4;
  if (head_request) {
    in.erase(0, at);
    r.complete = true;
    return r;
  }
  if (r.fields.count("transfer-encoding")) {
    const std::size_t start = at;
    for (;;) {
      auto eol = in.find("\r\n", at);
      if (eol == std::string::npos) return r;
      const std::size_t n = std::stoul(in.substr(at, eol - at), nullptr, 16);
      at = eol + 2;
      if (n == 0) {
        if (in.compare(at, 2, "\r\n") != 0) return r;
        at += 2;
        break;
      }
      if (in.size() < at + n + 2 || in.compare(at + n, 2, "\r\n") != 0) return r;
      r.body.append(in, at, n);
      at += n + 2;
    }
    r.wire_body = in.substr(start, at - start);
  } else if (r.fields.count("content-length")) {
    const std::size_t n = std::stoul(r.fields["content-length"]);
    if (in.size() < at + n) return r;
    r.body = in.substr(at, n);
    r.wire_body = r.body;
    at += n;
  } else {  // close-delimited: the rest
    r.body = in.substr(at);
    r.wire_body = r.body;
    at = in.size();
  }
  in.erase(0, at);
  r.complete = true;
  return r;
}

/// Runs a shell command on the pool; its standard output. (The lambdas given to offload here
/// capture nothing with a destructor: GCC 12 destroys such a temporary of a co_await twice.)
Task<std::string> shell(std::string cmd) {
  std::string out;
  std::string* to = &out;
  const char* line = cmd.c_str();
  co_await offload([line, to] {
    FILE* f = ::popen(line, "r");
    if (!f) return;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) to->append(buf, n);
    ::pclose(f);
  });
  co_return out;
}

/// Waits (polling, at most 5 s) until `done()`.
template <class F>
Task<bool> eventually(F done) {
  for (int i = 0; i < 500 && !done(); ++i) co_await coring::test::nap(10ms);
  co_return done();
}

}  // namespace

TEST_CASE_TEMPLATE("http stream: unknown length goes chunked, exactly framed on the wire, with the terminating chunk",
                   B, CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe&) -> Task<> {
    auto [in, eof] = co_await offload([addr] {
      int fd = connect_raw(addr);
      send_raw(fd, get("/chunks"));
      std::string got;
      read_until(fd, got, "0\r\n\r\n");
      send_raw(fd, get("/"));  // the connection stays open after it
      read_until(fd, got, "Hello, World!");
      ::close(fd);
      return std::pair<std::string, bool>(got, false);
    });
    Raw r = take_response(in);
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(r.fields["transfer-encoding"] == "chunked");
    CHECK(r.fields.count("content-length") == 0);
    CHECK(r.fields["content-type"] == "text/plain; charset=utf-8");
    CHECK(r.wire_body == "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    Raw next = take_response(in);
    REQUIRE(next.complete);
    CHECK(next.body == "Hello, World!");
    CHECK(in.empty());
  });
}

TEST_CASE_TEMPLATE("http stream: curl reads the chunked body, and an HTTP/1.0 curl the close-delimited one", B,
                   CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe&) -> Task<> {
    // (Each command in a named variable: GCC 12 destroys a temporary argument of a co_awaited call twice.)
    const std::string url = "http://" + addr.to_string();
    const std::string chunked = "curl -sS --fail " + url + "/chunks";
    std::string body = co_await shell(chunked);
    CHECK(body == "hello world");
    const std::string heads = "curl -sS --fail -o /dev/null -D - " + url + "/chunks";
    std::string head = co_await shell(heads);
    CHECK(head.find("Transfer-Encoding: chunked") != std::string::npos);
    const std::string old = "curl -sS --fail --http1.0 " + url + "/chunks";
    body = co_await shell(old);
    CHECK(body == "hello world");
    const std::string big = "curl -sS --fail " + url + "/big | wc -c";
    body = co_await shell(big);
    CHECK(std::stoul(body) == 32u << 20);
  });
}

TEST_CASE_TEMPLATE("http stream: HTTP/1.0 gets a close-delimited body - a known length gets Content-Length", B,
                   CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe&) -> Task<> {
    auto [in, eof] = co_await offload([addr] {
      int fd = connect_raw(addr);
      send_raw(fd, "GET /chunks HTTP/1.0\r\n\r\n");
      bool e = false;
      std::string got = read_until_eof(fd, e);
      ::close(fd);
      return std::pair<std::string, bool>(got, e);
    });
    CHECK(eof);
    Raw r = take_response(in);
    REQUIRE(r.complete);
    CHECK(r.fields.count("content-length") == 0);
    CHECK(r.fields.count("transfer-encoding") == 0);
    CHECK(r.fields["connection"] == "close");
    CHECK(r.body == "hello world");

    Client c = co_await Client::connect(addr);
    auto s = co_await c.roundtrip(get("/sized"));
    REQUIRE(s);
    CHECK(s->header("content-length") == "11");
    CHECK(s->header("transfer-encoding").empty());
    CHECK(s->body == "hello world");
    auto h = co_await c.roundtrip("GET /sized HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    REQUIRE(h);  // HTTP/1.0 with a known length: keep-alive as usual
    CHECK(h->header("content-length") == "11");
    CHECK(h->body == "hello world");
    auto last = co_await c.roundtrip(get("/"));
    CHECK(last);
  });
}

TEST_CASE_TEMPLATE("http stream: HEAD and 204 get the head only, the body coroutine never runs", B, CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe& p) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("HEAD /chunks HTTP/1.1\r\nHost: t\r\n\r\n", /*head_request=*/true);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("transfer-encoding") == "chunked");
    auto s = co_await c.roundtrip("HEAD /sized HTTP/1.1\r\nHost: t\r\n\r\n", true);
    REQUIRE(s);
    CHECK(s->header("content-length") == "11");
    auto next = co_await c.roundtrip(get("/"));  // nothing stray came between
    REQUIRE(next);
    CHECK(next->body == "Hello, World!");
    CHECK(p.runs == 0);
  });
}

TEST_CASE_TEMPLATE("http stream: a body that ends early, fails, throws or runs long closes the connection without "
                   "completing it", B, CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe& p) -> Task<> {
    for (const char* path : {"/short", "/long", "/fail", "/throw"}) {
      auto [in, eof] = co_await offload([addr, path] {
        int fd = connect_raw(addr);
        send_raw(fd, get(path) + get("/"));  // the pipelined second request is never answered
        bool e = false;
        std::string got = read_until_eof(fd, e);
        ::close(fd);
        return std::pair<std::string, bool>(got, e);
      });
      INFO(path);
      CHECK(eof);
      Raw r = take_response(in);
      CHECK(!r.complete);  // a short Content-Length body, or no terminating chunk
      CHECK(in.find("Hello, World!") == std::string::npos);
    }
    CHECK(p.write_error == int(std::errc::message_size));
    // An empty chunked body is just the terminating chunk.
    Client c = co_await Client::connect(addr);
    std::string two = get("/empty") + get("/");
    const bool sent = co_await c.send(std::move(two));
    REQUIRE(sent);
    while (c.in.find("Hello, World!") == std::string::npos) {
      const bool more = co_await c.fill();
      REQUIRE(more);
    }
    Raw r = take_response(c.in);
    REQUIRE(r.complete);
    CHECK(r.wire_body == "0\r\n\r\n");
  });
}

TEST_CASE_TEMPLATE("http stream: pipelined responses keep their order around streamed ones", B, CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe&) -> Task<> {
    // All at once: plain, streamed, sized, plain, streamed.
    std::string in = co_await offload([addr] {
      int fd = connect_raw(addr);
      send_raw(fd, get("/") + get("/chunks") + get("/sized") + get("/") + get("/chunks") + get("/", "Connection: close\r\n"));
      bool e = false;
      std::string got = read_until_eof(fd, e);
      ::close(fd);
      return got;
    });
    const char* want[] = {"Hello, World!", "hello world", "hello world", "Hello, World!", "hello world", "Hello, World!"};
    for (const char* w : want) {
      Raw r = take_response(in);
      REQUIRE(r.complete);
      CHECK(r.body == w);
    }
    // A request that arrives while a body is being written is answered after it.
    std::string got = co_await offload([addr] {
      int fd = connect_raw(addr);
      send_raw(fd, get("/slow"));
      std::string g;
      read_until(fd, g, "1\r\na\r\n");  // the first piece is out, the second 50 ms away
      send_raw(fd, get("/"));
      read_until(fd, g, "Hello, World!");
      ::close(fd);
      return g;
    });
    Raw slow = take_response(got);
    REQUIRE(slow.complete);
    CHECK(slow.body == "ab");
    Raw next = take_response(got);
    REQUIRE(next.complete);
    CHECK(next.body == "Hello, World!");
  });
}

TEST_CASE_TEMPLATE("http stream: a slow reader holds the writer back (no more in flight than the socket buffers)", B,
                   CORING_BACKENDS) {
  with_stream_server<B>([](SocketAddress addr, Probe& p) -> Task<> {
    auto [received, worst] = co_await offload([addr, &p] {
      int fd = connect_raw(addr, 64 << 10);
      send_raw(fd, get("/big"));
      char buf[16 << 10];
      std::uint64_t got = 0;
      std::int64_t worst_ahead = 0;  // how far the writer got past what this client read
      const std::uint64_t total = (32u << 20) + 1024;  // the body, its head and chunk lines
      while (got < (32u << 20)) {
        pollfd pf{fd, POLLIN, 0};
        if (::poll(&pf, 1, 5000) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got += static_cast<std::uint64_t>(n);
        worst_ahead = std::max(worst_ahead, std::int64_t(p.written.load()) - std::int64_t(got));
        if ((got >> 14) % 16 == 0) std::this_thread::sleep_for(1ms);  // slow
      }
      (void)total;
      ::close(fd);
      return std::pair<std::uint64_t, std::int64_t>(got, worst_ahead);
    });
    CHECK(received >= 32u << 20);
    // Socket buffers on both ends (loopback autotuning stays within a few MiB) and one piece:
    // far less than the 32 MiB body, so the writer waited for the reader.
    INFO("writer ahead of the reader by at most " << worst << " bytes");
    CHECK(worst < std::int64_t(12) << 20);
  });
}

TEST_CASE_TEMPLATE("http stream: a client that closes or resets mid-body cancels the body coroutine", B,
                   CORING_BACKENDS) {
  for (bool reset : {false, true}) {
    with_stream_server<B>([reset](SocketAddress addr, Probe& p) -> Task<> {
      const bool got_first = co_await offload([addr, reset] {
        int fd = connect_raw(addr);
        send_raw(fd, get("/wait"));
        std::string g;
        const bool ok = read_until(fd, g, "5\r\nfirst\r\n");
        if (reset) {
          linger lg{1, 0};
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        ::close(fd);
        return ok;
      });
      REQUIRE(got_first);
      const bool ended = co_await eventually([&p] { return p.ended.load(); });
      INFO("reset: " << reset);
      REQUIRE(ended);  // long before its 30 s sleep
      CHECK(p.wait_error == int(std::errc::operation_canceled));
      CHECK(p.write_error == int(std::errc::operation_canceled));
    });
  }
}
