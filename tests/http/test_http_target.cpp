// http::Parser unit tests of the request-target (RFC 9112 §3.2, RFC 3986), the Host field (§3.2) and leading empty lines (§2.2).
#include <doctest/doctest.h>

#include "parse_print.hpp"

using namespace coring::http;
using namespace coring::http::test;

namespace {

std::string request(std::string_view method, std::string_view target, std::string_view host = "Host: h\r\n") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n" + std::string(host) + "\r\n";
}

/// The status of `raw` parsed whole, after checking that byte-by-byte parsing agrees.
int status(const std::string& raw) {
  const Parsed whole = parse_whole(raw);
  std::vector<std::size_t> every;
  for (std::size_t k = 1; k < raw.size(); ++k) every.push_back(k);
  CHECK(parse_chunks(cut(raw, every), {}, true) == whole);
  if (whole.status != 0) CHECK(whole.close);
  return whole.status;
}
int target_status(std::string_view target, std::string_view method = "GET") { return status(request(method, target)); }
int host_status(std::string_view host) { return status(request("GET", "/", "Host: " + std::string(host) + "\r\n")); }

}  // namespace

TEST_CASE("target: origin-form bytes are pchar, \"/\", \"?\" and %XX") {
  for (const char* t : {"/", "/a/b/c", "/a?b=c&d=e", "/%20%2f%C3%A9", "/a:b@c!$&'()*+,;=-._~", "/?/?", "/a?x=%7B", "//x",
                        "/a%00b"}) {
    CAPTURE(t);
    CHECK(target_status(t) == 0);
  }
  for (char c : std::string_view("\"<>\\^`{|}[]")) {
    const std::string t = std::string("/a") + c + "b";
    CAPTURE(t);
    CHECK(target_status(t) == 400);
    CHECK(target_status("/?q=" + std::string(1, c)) == 400);
  }
  for (int c = 0; c < 256; ++c) {  // controls, DEL and every byte >= 0x80
    if (c >= 0x21 && c < 0x7f) continue;
    if (c == ' ' || c == '\r') continue;  // the end of the target, which leaves "/a" and garbage: 400 too, below
    const std::string t = std::string("/a") + static_cast<char>(c) + "b";
    CAPTURE(c);
    CHECK(target_status(t) == 400);
  }
  CHECK(target_status("/a b") == 400);
  CHECK(target_status("/a\rb") == 400);
  Parsed frag = parse_whole(request("GET", "/a#frag"));
  CHECK(frag.status == 400);
  CHECK(frag.reason == "fragment in request-target");
}

TEST_CASE("target: a \"%\" needs two hex digits") {
  for (const char* t : {"/%", "/a%", "/%4", "/%4 ", "/%G0", "/%0g", "/%%41", "/?a=%", "/?%x1"}) {
    CAPTURE(t);
    CHECK(target_status(t) == 400);
  }
  Parsed bad = parse_whole(request("GET", "/%zz"));
  CHECK(bad.reason == "invalid percent-encoding in request-target");
  // Split between the "%" and its digits, the digits are still checked.
  const std::string raw = request("GET", "/a%2");
  CHECK(parse_chunks(cut(raw, {7, 8}), {}, true).status == 400);
  const std::string ok = request("GET", "/a%2F");
  const Parsed split = parse_chunks(cut(ok, {7, 8}), {}, true);
  CHECK(split.status == 0);
  REQUIRE(split.msgs.size() == 1);
  CHECK(split.msgs[0].target == "/a%2F");
}

TEST_CASE("target: each form only where RFC 9112 allows it") {
  CHECK(target_status("*", "OPTIONS") == 0);
  CHECK(target_status("*", "GET") == 400);
  CHECK(target_status("*x", "OPTIONS") == 400);
  CHECK(target_status("abc") == 400);
  CHECK(target_status("a/b") == 400);
  CHECK(target_status("example.com:80") == 400);  // authority-form outside CONNECT
  CHECK(target_status("%2F") == 400);
  // authority-form, for CONNECT only, with a host and a port
  CHECK(target_status("example.com:443", "CONNECT") == 0);
  CHECK(target_status("[::1]:443", "CONNECT") == 0);
  CHECK(target_status("10.0.0.1:8080", "CONNECT") == 0);
  CHECK(target_status("example.com", "CONNECT") == 400);
  CHECK(target_status("example.com:", "CONNECT") == 400);
  CHECK(target_status(":443", "CONNECT") == 400);
  CHECK(target_status("example.com:99999", "CONNECT") == 400);
  CHECK(target_status("/", "CONNECT") == 400);
  CHECK(target_status("http://example.com/", "CONNECT") == 400);
  // absolute-form: accepted (RFC 9112 §3.2.2: a server MUST accept it) for http and https URIs
  for (const char* t : {"http://example.com/x", "HTTP://Example.COM", "https://e.com:8443/p?q", "http://[::1]:8080/",
                        "http://e.com?x=1", "http://e.com:/", "http://127.0.0.1/a%20b", "http://[v1.x]/"}) {
    CAPTURE(t);
    CHECK(target_status(t) == 0);
    CHECK(parse_whole(request("GET", t)).msgs.at(0).target == t);
  }
  for (const char* t : {"http:///x", "http://", "http://u@e.com/", "http://u:p@e.com/", "http://e.com:abc/",
                        "http://e.com:65536/", "ftp://e.com/", "http:/x", "mailto:a", "http://e.com/[x]", "http://[zz]/",
                        "http://[::1/", "http://e.com]/", "http://e%zz.com/"}) {
    CAPTURE(t);
    CHECK(target_status(t) == 400);
  }
}

TEST_CASE("host: exactly one Host, a valid uri-host [\":\" port]") {
  for (const char* h : {"example.com", "example.com:8080", "example.com:", "127.0.0.1", "[::1]", "[::1]:80",
                        "[2001:db8::7]:443", "", "a%41b", "xn--bcher-kva.example", "h:00080", "h:65535", "h:0",
                        "a-b_c~d!$&'()*+,;=", "[v7.fe80::1]"}) {
    CAPTURE(h);
    CHECK(host_status(h) == 0);
  }
  for (const char* h : {"a b", "a/b", "a@b", "u@h:80", "a?b", "a#b", "h:abc", "h:65536", "h:99999999999", "h:-1",
                        "[::1", "[zz]", "[1]", "[]", "h:1:2", "caf\xc3\xa9", "a%4", "a%zz", "[::1]x", "[::1]:8x", "a\"b",
                        "a<b", "a\\b", "a{b", "a|b", "a^b", "a`b", "a[b", "::1"}) {
    CAPTURE(h);
    CHECK(host_status(h) == 400);
  }
  CHECK(parse_whole(request("GET", "/", "Host: a b\r\n")).reason == "invalid Host");
  CHECK(status(request("GET", "/", "")) == 400);                         // missing
  CHECK(status(request("GET", "/", "Host: a\r\nHost: a\r\n")) == 400);   // twice, even the same
  CHECK(status(request("GET", "/", "Host: a\r\nX: 1\r\nhost: b\r\n")) == 400);
  CHECK(status("GET / HTTP/1.0\r\n\r\n") == 0);  // HTTP/1.0 may leave it out
  CHECK(status("GET / HTTP/1.0\r\nHost: a/b\r\n\r\n") == 400);  // but not send a bad one
  // absolute-form with another authority than Host: fine (the target's authority wins, §3.2.2)
  CHECK(status(request("GET", "http://a.example/x", "Host: b.example\r\n")) == 0);
}

TEST_CASE("empty lines before the request line: a few are ignored, a flood is 400") {
  for (int n = 0; n <= 4; ++n) {
    std::string raw;
    for (int k = 0; k < n; ++k) raw += "\r\n";
    CAPTURE(n);
    CHECK(status(raw + request("GET", "/")) == 0);
  }
  std::string flood;
  for (int k = 0; k < 5; ++k) flood += "\r\n";
  Parsed p = parse_whole(flood + request("GET", "/"));
  CHECK(p.status == 400);
  CHECK(p.reason == "too many empty lines before the request line");
  // A long flood is the same 400, not 414 (request line too long) nor 431.
  std::string big;
  for (int k = 0; k < 10000; ++k) big += "\r\n";
  CHECK(parse_whole(big).status == 400);
  // An endless flood is rejected as soon as the bound is passed: nothing past it is read.
  Parser parser;
  Step s = parser.feed(big);
  CHECK(s.event == Event::error);
  CHECK(s.consumed == 9);
  // The count starts again with each pipelined request.
  const std::string two = request("GET", "/1") + "\r\n\r\n\r\n\r\n" + request("GET", "/2");
  CHECK(parse_whole(two).msgs.size() == 2);
}

TEST_CASE("host: the remembered last valid Host never accepts a different value") {
  // The parser remembers the last valid Host value per thread (8 to 32 bytes); a value of
  // the same length that differs anywhere is checked in full.
  for (std::string good : {"127.0.0.1:18080", "a-much-longer.example.org:443", "localhost"}) {
    CHECK(host_status(good) == 0);
    CHECK(host_status(good) == 0);  // from the memo
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = '@';
      CHECK_MESSAGE(host_status(bad) == 400, bad);
      bad[i] = '/';
      CHECK_MESSAGE(host_status(bad) == 400, bad);
    }
    CHECK(host_status(good) == 0);
  }
}
