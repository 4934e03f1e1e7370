// http::Parser unit tests: the corpus whole, at every split point, byte by byte, with buffers freed early; field details.
#include <doctest/doctest.h>

#include "corpus.hpp"
#include "parse_print.hpp"

using namespace coring::http;
using namespace coring::http::test;

TEST_CASE("parser: corpus statuses (whole buffer)") {
  for (const Case& c : corpus()) {
    const std::string name = c.name;
    CAPTURE(name);
    Parsed r = parse_whole(c.raw, corpus_limits());
    CHECK(r.status == c.status);
    if (c.status == 0) {
      CHECK(!r.msgs.empty());
      CHECK(!r.incomplete);
    } else {
      CHECK(r.close);
    }
  }
}

TEST_CASE("parser: every split point parses like one buffer") {
  for (const Case& c : corpus()) {
    const std::string name = c.name;
    CAPTURE(name);
    const Parsed whole = parse_whole(c.raw, corpus_limits());
    for (std::size_t k = 0; k <= c.raw.size(); ++k) {
      CAPTURE(k);
      for (bool detach : {false, true}) {
        Parsed r = parse_chunks(cut(c.raw, {k}), corpus_limits(), detach);
        REQUIRE(r == whole);
      }
    }
  }
}

TEST_CASE("parser: one byte per buffer, and every pair of split points on short requests") {
  for (const Case& c : corpus()) {
    const std::string name = c.name;
    CAPTURE(name);
    const Parsed whole = parse_whole(c.raw, corpus_limits());
    std::vector<std::size_t> all;
    for (std::size_t k = 1; k < c.raw.size(); ++k) all.push_back(k);
    CHECK(parse_chunks(cut(c.raw, all), corpus_limits(), true) == whole);
    CHECK(parse_chunks(cut(c.raw, all), corpus_limits(), false) == whole);
    if (c.raw.size() > 120) continue;
    for (std::size_t a = 1; a < c.raw.size(); ++a)
      for (std::size_t b = a; b < c.raw.size(); b += 3) REQUIRE(parse_chunks(cut(c.raw, {a, b}), corpus_limits(), true) == whole);
  }
}

TEST_CASE("parser: request line and fields") {
  Parsed r = parse_whole("GET /a?b=c HTTP/1.1\r\nHost: h\r\nX-A: \t v w \t\r\nX-Empty:\r\n\r\n");
  REQUIRE(r.msgs.size() == 1);
  const Msg& m = r.msgs[0];
  CHECK(m.method == "GET");
  CHECK(m.target == "/a?b=c");
  CHECK(m.minor == 1);
  REQUIRE(m.headers.size() == 3);
  CHECK(m.headers[1] == std::pair<std::string, std::string>{"X-A", "v w"});
  CHECK(m.headers[2] == std::pair<std::string, std::string>{"X-Empty", ""});
  CHECK(m.keep_alive);
  CHECK(m.body.empty());
}

TEST_CASE("parser: keep-alive rules") {
  auto ka = [](const std::string& raw) { return parse_whole(raw).msgs.at(0).keep_alive; };
  CHECK(ka("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  CHECK(!ka("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  CHECK(!ka("GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive\r\nConnection: close\r\n\r\n"));
  CHECK(!ka("GET / HTTP/1.0\r\n\r\n"));
  CHECK(ka("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK(!ka("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

TEST_CASE("parser: bodies") {
  Parsed cl = parse_whole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  REQUIRE(cl.msgs.size() == 1);
  CHECK(cl.msgs[0].body == "hello");
  CHECK(cl.msgs[0].content_length == 5);
  Parsed ch = parse_whole(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;x=\"q\"\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n");
  REQUIRE(ch.msgs.size() == 1);
  CHECK(ch.msgs[0].body == "hello world");
  CHECK(ch.msgs[0].chunked);
  CHECK(ch.msgs[0].headers.size() == 2);  // trailers are not added to the head
}

TEST_CASE("parser: Expect 100-continue only for HTTP/1.1") {
  CHECK(parse_whole("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx").msgs.at(0).expect_continue);
  CHECK(!parse_whole("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx").msgs.at(0).expect_continue);
}

TEST_CASE("parser: pipelined requests come out in order") {
  std::string raw;
  for (int i = 0; i < 10; ++i) raw += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  Parsed r = parse_whole(raw);
  REQUIRE(r.msgs.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(r.msgs[static_cast<std::size_t>(i)].target == "/" + std::to_string(i));
}

TEST_CASE("parser: head views point into the buffer when the head is contiguous") {
  std::string raw = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  Parser p;
  Step s = p.feed(raw);
  REQUIRE(s.event == Event::head);
  CHECK(p.head().target.data() == raw.data() + 4);
  CHECK(p.head().headers[0].value.data() == raw.data() + 23);
}

TEST_CASE("parser: incomplete input asks for more and is not at a message start") {
  Parser p;
  std::string part = "GET / HT";
  Step s = p.feed(part);
  CHECK(s.event == Event::need_more);
  CHECK(s.consumed == part.size());
  CHECK(!p.at_message_start());
}

TEST_CASE("parser: errors are sticky and carry the exact status") {
  Parser p;
  Step s = p.feed("GET / HTTP/3.0\r\n");
  REQUIRE(s.event == Event::error);
  CHECK(p.error().status == 505);
  CHECK(p.error().close);
  CHECK(p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").event == Event::error);
  p.reset();
  CHECK(p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").event == Event::head);
}

TEST_CASE("parser: default limits") {
  Limits l;
  CHECK(parse_whole("GET /" + std::string(l.max_request_line, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n").status == 414);
  CHECK(parse_whole("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(l.max_header_bytes, 'a') + "\r\n\r\n").status == 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 0; i < l.max_headers; ++i) many += "X: 1\r\n";
  CHECK(parse_whole(many + "\r\n").status == 431);
  CHECK(parse_whole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(l.max_body + 1) + "\r\n\r\n").status == 413);
}
