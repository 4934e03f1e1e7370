// coring-kv's RESP request parser: valid arrays and inline requests, every split point, and malformed input as errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kv/glob.hpp"
#include "kv/resp_parser.hpp"

using kv::RespByteParser;
using kv::RespLimits;
using kv::RespStep;

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;  // empty: none
};

// Feeds `input` in pieces cut at `cuts` (byte offsets) and collects what the parser produced.
Outcome run(const std::string& input, const std::vector<std::size_t>& cuts = {}, RespLimits limits = {}) {
  RespByteParser p(limits);
  Outcome o;
  std::size_t from = 0;
  auto drain = [&] {
    for (;;) {
      RespStep s = p.next();
      if (s.kind == RespStep::done) o.requests.emplace_back(p.args().begin(), p.args().end());
      else if (s.kind == RespStep::error) return o.error = std::string(s.message), false;
      else return true;
    }
  };
  for (std::size_t c : cuts) {
    p.feed(input.substr(from, c - from));
    from = c;
    if (!drain()) return o;
  }
  p.feed(input.substr(from));
  drain();
  return o;
}

using Args = std::vector<std::string>;

}  // namespace

TEST_CASE("an array of bulk strings") {
  auto o = run("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nal\r\n");
  REQUIRE(o.error.empty());
  REQUIRE(o.requests.size() == 1);
  CHECK(o.requests[0] == Args{"SET", "k", "v\r\nal"});  // payloads are binary: CRLF inside is data
}

TEST_CASE("pipelined requests, empty arrays skipped, empty bulk strings kept") {
  auto o = run("*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  REQUIRE(o.error.empty());
  REQUIRE(o.requests.size() == 2);
  CHECK(o.requests[0] == Args{"PING"});
  CHECK(o.requests[1] == Args{"ECHO", ""});
}

TEST_CASE("inline requests: words, quotes, empty lines ignored") {
  auto o = run("PING\r\n\r\n  set  k   v \r\nECHO \"a b\\\"c\" 'x y'\r\n");
  REQUIRE(o.error.empty());
  REQUIRE(o.requests.size() == 3);
  CHECK(o.requests[0] == Args{"PING"});
  CHECK(o.requests[1] == Args{"set", "k", "v"});
  CHECK(o.requests[2] == Args{"ECHO", "a b\"c", "x y"});
  CHECK(run("ECHO \"abc\r\n").error == "Protocol error: unbalanced quotes in request");
}

TEST_CASE("split at every byte, and into single bytes, gives the same requests") {
  const std::string input = "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\nPING x\r\n*1\r\n$4\r\nQUIT\r\n";
  const auto whole = run(input);
  REQUIRE(whole.requests.size() == 3);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    CAPTURE(cut);
    auto o = run(input, {cut});
    CHECK(o.error.empty());
    CHECK(o.requests == whole.requests);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  CHECK(run(input, every).requests == whole.requests);
}

TEST_CASE("malformed lengths are protocol errors with Redis's texts") {
  CHECK(run("*abc\r\n").error == "Protocol error: invalid multibulk length");
  CHECK(run("*-2\r\n").error == "Protocol error: invalid multibulk length");
  CHECK(run("*99999999999999999999999\r\n").error == "Protocol error: invalid multibulk length");
  CHECK(run("*10000000\r\n").error == "Protocol error: invalid multibulk length");  // over max_array (1M)
  CHECK(run("*1\r\n$-1\r\n").error == "Protocol error: invalid bulk length");
  CHECK(run("*1\r\n$-5\r\n").error == "Protocol error: invalid bulk length");
  CHECK(run("*1\r\n$2147483648\r\n").error == "Protocol error: invalid bulk length");  // 2 GB, over max_bulk
  CHECK(run("*1\r\n$1x\r\n").error == "Protocol error: invalid bulk length");
  CHECK(run("*1\r\n$\r\n").error == "Protocol error: invalid bulk length");
  CHECK(run("*1\r\n:4\r\n").error == "Protocol error: expected '$', got ':'");
  CHECK(run("*1\r\n\r\n").error == "Protocol error: expected '$', got ' '");
}

TEST_CASE("a bulk payload without its CRLF is an error") {
  CHECK(run("*1\r\n$3\r\nGETxx").error == "Protocol error: expected CRLF after bulk payload");
  CHECK(run("*1\r\n$3\r\nGET\n\r").error == "Protocol error: expected CRLF after bulk payload");
}

TEST_CASE("limits: bulk, array, inline line and whole request") {
  RespLimits small{.max_bulk = 8, .max_array = 3, .max_inline = 16, .max_request = 12};
  CHECK(run("*1\r\n$8\r\n12345678\r\n", {}, small).error.empty());
  CHECK(run("*1\r\n$9\r\n123456789\r\n", {}, small).error == "Protocol error: invalid bulk length");
  CHECK(run("*4\r\n", {}, small).error == "Protocol error: invalid multibulk length");
  CHECK(run("*3\r\n$8\r\n12345678\r\n$8\r\n", {}, small).error == "Protocol error: too big request");
  CHECK(run("a b c d\r\n", {}, small).error == "Protocol error: invalid multibulk length");
  CHECK(run(std::string(40, 'x') + "\r\n", {}, small).error == "Protocol error: too big inline request");
  CHECK(run(std::string(40, 'x'), {}, small).error == "Protocol error: too big inline request");  // no CRLF yet
}

TEST_CASE("an incomplete request asks for more, never fails or produces a request") {
  const std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
  for (std::size_t n = 0; n < input.size(); ++n) {
    CAPTURE(n);
    auto o = run(input.substr(0, n));
    CHECK(o.error.empty());
    CHECK(o.requests.empty());
  }
}

TEST_CASE("arbitrary bytes never crash the parser") {
  uint64_t x = 88172645463325252ull;
  const std::string alphabet = "*$\r\n-0123456789abc \"'\\";
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    const std::size_t len = 1 + (x % 48);
    for (std::size_t i = 0; i < len; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      input += (x & 1) ? alphabet[(x >> 8) % alphabet.size()] : static_cast<char>(x >> 16);
    }
    auto o = run(input, {input.size() / 2}, RespLimits{.max_bulk = 64, .max_array = 8, .max_inline = 32, .max_request = 128});
    for (const auto& r : o.requests) CHECK(!r.empty());
  }
}

TEST_CASE("glob patterns as in KEYS and SCAN MATCH") {
  CHECK(kv::glob_match("*", "anything"));
  CHECK(kv::glob_match("h?llo", "hello"));
  CHECK(kv::glob_match("h*llo", "heeeello"));
  CHECK(kv::glob_match("h[ae]llo", "hallo"));
  CHECK_FALSE(kv::glob_match("h[ae]llo", "hillo"));
  CHECK(kv::glob_match("h[^e]llo", "hallo"));
  CHECK_FALSE(kv::glob_match("h[^e]llo", "hello"));
  CHECK(kv::glob_match("h[a-b]llo", "hbllo"));
  CHECK(kv::glob_match("k\\*", "k*"));
  CHECK_FALSE(kv::glob_match("k\\*", "kx"));
  CHECK(kv::glob_match("user:*:name", "user:42:name"));
  CHECK_FALSE(kv::glob_match("user:*:name", "user:42:age"));
  CHECK(kv::glob_match("a*b*c", std::string(1000, 'a') + "bc"));
  CHECK_FALSE(kv::glob_match("", "x"));
  CHECK(kv::glob_match("", ""));
}

TEST_CASE("parse_whole: a complete request in one call, or need_line when it goes on past the bytes") {
  const std::string two = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n";
  kv::RespParser p;
  std::size_t used = 0;
  RespStep s = p.parse_whole(two, used);
  REQUIRE(s.kind == RespStep::done);
  CHECK(used == two.size() - 6);
  CHECK(Args(p.args().begin(), p.args().end()) == Args{"GET", "k"});
  p.reset();
  s = p.parse_whole(std::string_view(two).substr(used), used);
  REQUIRE(s.kind == RespStep::done);
  CHECK(used == 6);
  CHECK(Args(p.args().begin(), p.args().end()) == Args{"PING"});
  for (std::size_t n = 0; n < two.size() - 6; ++n) {  // every cut of the first request: not complete
    p.reset();
    CHECK(p.parse_whole(std::string_view(two).substr(0, n), used).kind == RespStep::need_line);
  }
  p.reset();
  CHECK(p.parse_whole("*0\r\n\r\n*1\r\n$4\r\nPING\r\n", used).kind == RespStep::done);  // empty requests skipped
  CHECK(used == 20);
  p.reset();
  s = p.parse_whole("*1\r\n$2147483648\r\n", used);
  CHECK(s.kind == RespStep::error);
  CHECK(s.message == "Protocol error: invalid bulk length");
}
