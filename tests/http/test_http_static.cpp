// coring-http's static files over raw sockets on both backends: confinement (.., symlinks), types, 304, ranges; and Range parsing.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apps/http/range.hpp"
#include "apps/http/static_files.hpp"
#include "coring/http/date.hpp"
#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;
using coring::apps::ByteRange;
using coring::apps::RangeResult;

namespace {

/// A temporary tree: root/{a.txt, sub/page.html, inside -> a.txt, outside -> /etc/hostname-like file, up -> ..}
struct Tree {
  std::filesystem::path base, root;
  Tree() {
    char tmpl[] = "/tmp/coring-http-XXXXXX";
    base = ::mkdtemp(tmpl);
    root = base / "root";
    std::filesystem::create_directories(root / "sub");
    std::ofstream(root / "a.txt") << "0123456789";
    std::ofstream(root / "sub" / "page.html") << "<p>hi</p>";
    std::ofstream(base / "secret.txt") << "secret";
    std::filesystem::create_symlink("a.txt", root / "inside");
    std::filesystem::create_symlink(base / "secret.txt", root / "outside");
    std::filesystem::create_symlink("../secret.txt", root / "relative-out");
    std::filesystem::create_directory_symlink("..", root / "up");
  }
  ~Tree() { std::filesystem::remove_all(base); }
};

template <class B, class F>
void with_static(const Tree& t, F body) {
  auto files = apps::StaticFiles::open(apps::StaticOptions{.root = t.root.string()});
  REQUIRE(files);
  Router r;
  r.get("/static/*", [files](Request& q) -> Task<Response> { return (*files)(q); });
  coring::test::run_on<B>([&]() -> Task<> {
    Server server(std::move(r), {});
    SocketAddress addr = start(server);
    co_await body(addr);
  });
}

Task<int> status_of(Client& c, std::string path) {
  auto r = co_await c.roundtrip(get(path));
  co_return r ? r->status : -1;
}

}  // namespace

TEST_CASE("static: Range header parsing") {
  ByteRange r{};
  CHECK(apps::parse_range("bytes=0-3", 10, r) == RangeResult::satisfiable);
  CHECK((r.first == 0 && r.length == 4));
  CHECK(apps::parse_range("bytes=5-", 10, r) == RangeResult::satisfiable);
  CHECK((r.first == 5 && r.length == 5));
  CHECK(apps::parse_range("bytes=-3", 10, r) == RangeResult::satisfiable);
  CHECK((r.first == 7 && r.length == 3));
  CHECK(apps::parse_range("bytes=-30", 10, r) == RangeResult::satisfiable);
  CHECK((r.first == 0 && r.length == 10));
  CHECK(apps::parse_range("bytes=8-100", 10, r) == RangeResult::satisfiable);
  CHECK((r.first == 8 && r.length == 2));
  CHECK(apps::parse_range("bytes=10-", 10, r) == RangeResult::unsatisfiable);
  CHECK(apps::parse_range("bytes=-0", 10, r) == RangeResult::unsatisfiable);
  CHECK(apps::parse_range("bytes=0-1,3-4", 10, r) == RangeResult::ignore);
  CHECK(apps::parse_range("bytes=5-2", 10, r) == RangeResult::ignore);
  CHECK(apps::parse_range("items=0-1", 10, r) == RangeResult::ignore);
  CHECK(apps::parse_range("bytes=x-1", 10, r) == RangeResult::ignore);
}

TEST_CASE("static: HTTP dates round-trip") {
  char buf[32];
  CHECK(format_http_date(784111777, buf) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == -1);
  CHECK(parse_http_date("garbage") == -1);
}

TEST_CASE_TEMPLATE("static: files are served with type, length and Last-Modified", B, CORING_BACKENDS) {
  Tree t;
  with_static<B>(t, [](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/static/a.txt"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "0123456789");
    CHECK(r->header("content-type") == "text/plain; charset=utf-8");
    CHECK(r->header("last-modified").size() == 29);
    CHECK(r->header("accept-ranges") == "bytes");
    r = co_await c.roundtrip(get("/static/sub/page.html"));
    REQUIRE(r);
    CHECK(r->header("content-type") == "text/html; charset=utf-8");
    r = co_await c.roundtrip("HEAD /static/a.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
    REQUIRE(r);
    CHECK(r->header("content-length") == "10");
    CHECK(r->body.empty());
    CHECK(co_await status_of(c, "/static/inside") == 200);  // a symlink that stays inside
    // File accesses go through the backend: io_uring opcodes; on epoll the shard's thread when they
    // need no disk (these files were just written: their dentries and pages are cached), so the
    // offload pool saw fewer jobs than the 4 opens and closes above would have made.
    if constexpr (B::backend == Backend::epoll) CHECK(this_shard_stats().offloads < 4);
  });
}

TEST_CASE_TEMPLATE("static: a 64 MiB file: HEAD answers its size, GET and ranges send it from the file", B,
                   CORING_BACKENDS) {
  Tree t;
  std::filesystem::resize_file(t.root / "a.txt", 64 << 20);  // sparse: zeros after the first 10 bytes
  with_static<B>(t, [](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("HEAD /static/a.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("content-length") == std::to_string(64 << 20));
    CHECK(r->header("content-type") == "text/plain; charset=utf-8");
    r = co_await c.roundtrip("HEAD /static/a.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n\r\n", true);
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->header("content-length") == "10");
    r = co_await c.roundtrip(get("/static/a.txt"));  // any size now: sent with send_file
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(r->body.size() == std::size_t{64} << 20);
    CHECK(r->body.substr(0, 10) == "0123456789");
    CHECK(r->body.find_first_not_of('\0', 10) == std::string::npos);
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=5-100004\r\n"));
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->body.size() == 100000);
    CHECK(r->body.substr(0, 5) == "56789");
  });
}

TEST_CASE_TEMPLATE("static: nothing outside the root is reachable", B, CORING_BACKENDS) {
  Tree t;
  with_static<B>(t, [](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    for (const char* p : {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/sub/../../secret.txt",
                          "/static/outside", "/static/relative-out", "/static/up/secret.txt", "/static/%2fetc/passwd",
                          "/static/sub", "/static/missing", "/static/a.txt%00.html"}) {
      CAPTURE(p);
      CHECK(co_await status_of(c, p) == 404);
    }
    // A bad percent-encoding is the parser's 400 (RFC 3986), before any file is looked for; it closes.
    CHECK(co_await status_of(c, "/static/%zz") == 400);
  });
}

TEST_CASE_TEMPLATE("static: If-Modified-Since and Range", B, CORING_BACKENDS) {
  Tree t;
  with_static<B>(t, [](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto full = co_await c.roundtrip(get("/static/a.txt"));
    REQUIRE(full);
    const std::string lm = full->header("last-modified");
    auto r = co_await c.roundtrip(get("/static/a.txt", "If-Modified-Since: " + lm + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 304);
    CHECK(r->body.empty());
    r = co_await c.roundtrip(get("/static/a.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=2-5\r\n"));
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->body == "2345");
    CHECK(r->header("content-range") == "bytes 2-5/10");
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=-2\r\n"));
    REQUIRE(r);
    CHECK(r->body == "89");
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=20-\r\n"));
    REQUIRE(r);
    CHECK(r->status == 416);
    CHECK(r->header("content-range") == "bytes */10");
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=0-1,4-5\r\n"));  // several ranges: whole file
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "0123456789");
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);  // a stale If-Range voids the Range
  });
}

namespace {
/// The ETag of the last response to `path`.
Task<std::string> etag_of(Client& c, std::string path) {
  auto r = co_await c.roundtrip(get(path));
  co_return r ? r->header("etag") : std::string();
}
}  // namespace

TEST_CASE_TEMPLATE("static: ETag, If-None-Match (304) and If-Range with an ETag", B, CORING_BACKENDS) {
  Tree t;
  with_static<B>(t, [](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    const std::string tag = co_await etag_of(c, "/static/a.txt");
    REQUIRE(tag.size() > 2);
    CHECK(tag.front() == '"');
    auto r = co_await c.roundtrip(get("/static/a.txt", "If-None-Match: " + tag + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 304);
    CHECK(r->header("etag") == tag);
    r = co_await c.roundtrip(get("/static/a.txt", "If-None-Match: \"other\", W/" + tag + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 304);
    r = co_await c.roundtrip(get("/static/a.txt", "If-None-Match: *\r\n"));
    REQUIRE(r);
    CHECK(r->status == 304);
    r = co_await c.roundtrip(get("/static/a.txt", "If-None-Match: \"other\"\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "0123456789");
    // If-None-Match wins over If-Modified-Since: a date that would say "not modified" is ignored.
    r = co_await c.roundtrip(get("/static/a.txt", "If-None-Match: \"other\"\r\nIf-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=2-3\r\nIf-Range: " + tag + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->body == "23");
    r = co_await c.roundtrip(get("/static/a.txt", "Range: bytes=2-3\r\nIf-Range: \"stale\"\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "0123456789");
  });
}

TEST_CASE_TEMPLATE("static: pipelined requests for large and small files are answered in order", B, CORING_BACKENDS) {
  Tree t;
  const std::string big = coring::test::make_pattern(3, 3 << 20);
  std::ofstream(t.root / "big.bin", std::ios::binary) << big;
  with_static<B>(t, [&](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    std::string reqs;
    for (int i = 0; i < 3; ++i) {
      reqs += get("/static/big.bin");
      reqs += get("/static/a.txt");
      reqs += get("/static/big.bin", "Range: bytes=1000-200999\r\n");
    }
    REQUIRE(co_await c.send(reqs));
    for (int i = 0; i < 3; ++i) {
      auto a = co_await c.read();
      REQUIRE(a);
      CHECK(a->status == 200);
      CHECK(a->body == big);
      auto b = co_await c.read();
      REQUIRE(b);
      CHECK(b->body == "0123456789");
      auto d = co_await c.read();
      REQUIRE(d);
      CHECK(d->status == 206);
      CHECK(d->body == big.substr(1000, 200000));
    }
  });
}

// CORING_SEND_FILE=read (a copy): the body is exactly a prefix of the file. The default
// zero-copy ways (splice, sendfile) may send pages already queued in the socket as the
// truncation left them (zeros past the new end; docs/bytes.md): there only the bytes
// before the new end are checked.
TEST_CASE_TEMPLATE("static: a file that shrinks mid-body closes that connection with a short body, others unaffected", B,
                   CORING_BACKENDS) {
  for (const bool copy : {true, false}) {
    if (copy) ::setenv("CORING_SEND_FILE", "read", 1);
    else ::unsetenv("CORING_SEND_FILE");
    Tree t;
    const std::string big = coring::test::make_pattern(4, 32 << 20);
    std::ofstream(t.root / "shrink.bin", std::ios::binary) << big;
    constexpr std::size_t kNewSize = 1 << 20;
    with_static<B>(t, [&](SocketAddress addr) -> Task<> {
      auto s = co_await Stream::connect(addr);
      REQUIRE(s);
      int small = 16 * 1024;
      ::setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      REQUIRE(co_await s->send_all(get("/static/shrink.bin")));
      std::string got;
      auto first = co_await s->recv();  // the head (and maybe some body) is on its way
      REQUIRE(first);
      got.append(first->view());
      first->reset();
      std::filesystem::resize_file(t.root / "shrink.bin", kNewSize);
      for (;;) {
        auto b = co_await with_timeout(s->recv(), 10s);
        if (!b || b->empty()) break;
        got.append(b->view());
      }
      const auto end = got.find("\r\n\r\n");
      REQUIRE(end != std::string::npos);
      const std::string body = got.substr(end + 4);
      INFO((copy ? "read then send" : "zero-copy"));
      CHECK(body.size() < big.size());  // closed early: a short body
      const std::size_t checked = copy ? body.size() : std::min(body.size(), kNewSize);
      std::size_t bad = 0;
      while (bad < checked && body[bad] == big[bad]) ++bad;
      CHECK_MESSAGE(bad == checked, "byte " << bad << " of " << body.size() << " is not the file's");
      Client c = co_await Client::connect(addr);  // the server goes on serving
      CHECK(co_await status_of(c, "/static/a.txt") == 200);
    });
  }
  ::unsetenv("CORING_SEND_FILE");
}

TEST_CASE_TEMPLATE("static: a 1 MiB file served whole, then removed: the next request answers 404", B, CORING_BACKENDS) {
  Tree t;
  const std::string big = coring::test::make_pattern(5, 1 << 20);
  std::ofstream(t.root / "gone.bin", std::ios::binary) << big;
  with_static<B>(t, [&](SocketAddress addr) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/static/gone.bin"));
    REQUIRE(r);
    CHECK(r->body == big);
    std::filesystem::remove(t.root / "gone.bin");
    CHECK(co_await status_of(c, "/static/gone.bin") == 404);
  });
}

namespace {
std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// Asks for the big file, reads a little of it, then resets the connection (SO_LINGER 0).
Task<bool> reset_mid_download(SocketAddress addr) {
  auto s = co_await Stream::connect(addr);
  if (!s) co_return false;
  if (!co_await s->send_all(get("/static/big.bin"))) co_return false;
  std::size_t got = 0;
  while (got < 100'000) {
    auto b = co_await with_timeout(s->recv(), 10s);
    if (!b || b->empty()) co_return false;
    got += b->size();
  }
  linger lg{1, 0};
  ::setsockopt(s->native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  s->close();  // RST: the server's transfer fails mid-file
  co_return true;
}
}  // namespace

TEST_CASE_TEMPLATE("static: 200 clients that reset mid-download leave the server's fds at their baseline", B,
                   CORING_BACKENDS) {
  Tree t;
  const std::string big = coring::test::make_pattern(6, 8 << 20);
  std::ofstream(t.root / "big.bin", std::ios::binary) << big;
  with_static<B>(t, [&](SocketAddress addr) -> Task<> {
    {  // warm up: the shard's spare pipes or buffers exist from here on
      Client c = co_await Client::connect(addr);
      auto r = co_await c.roundtrip(get("/static/big.bin"));
      REQUIRE(r);
      CHECK(r->body == big);
    }
    co_await coring::test::nap(50ms);
    const std::size_t before = open_fds();
    for (int wave = 0; wave < 4; ++wave) {
      std::vector<Task<bool>> clients;
      for (int i = 0; i < 50; ++i) clients.push_back(reset_mid_download(addr));
      auto results = co_await when_all(std::move(clients));
      int ok = 0;
      for (bool r : results) ok += r;
      CHECK(ok == 50);
    }
    std::size_t after = 0;
    for (int i = 0; i < 100; ++i) {  // the server notices each reset at its next send
      co_await coring::test::nap(20ms);
      after = open_fds();
      if (after <= before + 2 * 8) break;
    }
    // Every connection, file and pipe of the resets is closed: at most the shard's spares remain.
    CHECK(after <= before + 2 * 8);
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/static/big.bin"));
    REQUIRE(r);
    CHECK(r->body == big);  // a clean transfer after them all: no stale pipe bytes
  });
}
