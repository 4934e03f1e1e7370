// coring-http's static files over raw sockets on both backends: confinement (.., symlinks), types, 304, ranges; and Range parsing.
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
    CHECK(this_shard_stats().offloads >= 4);  // every file access ran on the offload pool
  });
}

TEST_CASE_TEMPLATE("static: HEAD of a file larger than the read limit answers its size without reading it", B,
                   CORING_BACKENDS) {
  Tree t;
  std::filesystem::resize_file(t.root / "a.txt", 64 << 20);  // sparse; max_file_bytes is 8 MiB
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
    CHECK(co_await status_of(c, "/static/a.txt") == 500);  // GET would have to read 64 MiB: refused
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
