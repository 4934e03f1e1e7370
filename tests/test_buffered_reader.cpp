// BufferedReader on both backends: lines and blocks within and across receive buffers, limits, EOF, cancel and close mid-read.
#include "support.hpp"

#include <string>
#include <vector>

using namespace coring;
using namespace std::chrono_literals;

namespace {

using test::Pair;

Task<Result<std::string>> line_of(BufferedReader& in, std::string_view delim = "\r\n") {
  auto r = co_await in.read_until(delim);
  if (!r) co_return r.error();
  co_return std::string(*r);
}

/// Sends each piece in its own send, pausing between them so that each
/// arrives in its own receive buffer; then half-closes when asked.
Task<> send_pieces(Stream& s, std::vector<std::string> pieces, bool shut = true) {
  for (auto& p : pieces) {
    REQUIRE(co_await s.send_all(p));
    co_await test::nap(3ms);
  }
  if (shut) REQUIRE(s.shutdown(ShutdownHow::write));
}

/// Small receive buffers, so that tokens span several of them.
RuntimeOptions small_pool() {
  RuntimeOptions o;
  o.buffer_size = 16;
  o.buffer_count = 256;
  return o;
}

}  // namespace

TEST_CASE_TEMPLATE("BufferedReader: lines within one receive buffer, then EOF at a boundary", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    REQUIRE(co_await test::send_and_shutdown(p.client, "a\r\nbb\r\nccc\r\n"));
    co_await test::nap(5ms);  // everything arrives in one buffer
    BufferedReader in(p.server);
    auto a = co_await in.read_until("\r\n");
    REQUIRE(a);
    CHECK(*a == "a\r\n");
    CHECK(in.available() == 9);
    CHECK(in.peek() == "bb\r\nccc\r\n");
    CHECK(in.peek().data() == a->data() + a->size());  // a view into the same receive buffer
    auto b = co_await in.read_until("\r\n");
    REQUIRE(b);
    CHECK(*b == "bb\r\n");
    auto c = co_await in.read_until("\r\n");
    REQUIRE(c);
    CHECK(*c == "ccc\r\n");
    auto end = co_await in.read_until("\r\n");
    REQUIRE(end);
    CHECK(end->empty());
    CHECK(in.eof());
    auto again = co_await in.read_exactly(3);
    REQUIRE(again);
    CHECK(again->empty());
  });
}

TEST_CASE_TEMPLATE("BufferedReader: tokens and delimiters that span receive buffers are copied whole", B,
                   CORING_BACKENDS) {
  test::run_on<B>(
      []() -> Task<> {
        auto l = test::listen_local();
        Pair p = co_await test::connected_pair(l);
        BufferedReader in(p.server);
        std::string long_line = test::make_pattern(1, 100);
        for (auto& ch : long_line)
          if (ch == '\r' || ch == '\n') ch = 'x';
        auto sender = send_pieces(p.client, {"abc\r", "\ndef", "\r\n", long_line.substr(0, 40), long_line.substr(40),
                                             "\r\nend\r\n"});
        auto reader = [](BufferedReader& in, std::string long_line) -> Task<> {
          auto a = co_await line_of(in);
          REQUIRE(a);
          CHECK(*a == "abc\r\n");  // the delimiter split between two buffers
          auto b = co_await line_of(in);
          REQUIRE(b);
          CHECK(*b == "def\r\n");
          auto c = co_await line_of(in);
          REQUIRE(c);
          CHECK(*c == long_line + "\r\n");  // seven 16-byte buffers
          auto d = co_await line_of(in);
          REQUIRE(d);
          CHECK(*d == "end\r\n");
          auto e = co_await line_of(in);
          REQUIRE(e);
          CHECK(e->empty());
        }(in, long_line);
        co_await when_all(std::move(sender), std::move(reader));
      },
      small_pool());
}

TEST_CASE_TEMPLATE("BufferedReader: a RESP-style mix of read_until and read_exactly over many buffers", B,
                   CORING_BACKENDS) {
  test::run_on<B>(
      []() -> Task<> {
        auto l = test::listen_local();
        Pair p = co_await test::connected_pair(l);
        // 300 bulk strings of varied sizes ("$<n>\r\n<n bytes>\r\n"), sent in odd-sized pieces.
        std::string wire;
        std::vector<std::string> values;
        for (int i = 0; i < 300; ++i) {
          values.push_back(test::make_pattern(i, (i * 37) % 200));
          wire += "$" + std::to_string(values.back().size()) + "\r\n" + values.back() + "\r\n";
        }
        std::vector<std::string> pieces;
        for (std::size_t at = 0, k = 0; at < wire.size(); at += 1 + (k++ * 53) % 700)
          pieces.push_back(wire.substr(at, 1 + (k * 53) % 700));
        auto sender = send_pieces(p.client, std::move(pieces));
        auto reader = [](Stream& s, const std::vector<std::string>& values) -> Task<> {
          BufferedReader in(s);
          for (const auto& v : values) {
            auto head = co_await in.read_until("\r\n");
            REQUIRE(head);
            REQUIRE(*head == "$" + std::to_string(v.size()) + "\r\n");
            auto body = co_await in.read_exactly(v.size() + 2);
            REQUIRE(body);
            CHECK(body->substr(0, v.size()) == v);
            CHECK(body->substr(v.size()) == "\r\n");
          }
          auto end = co_await in.read_until("\r\n");
          REQUIRE(end);
          CHECK(end->empty());
        }(p.server, values);
        co_await when_all(std::move(sender), std::move(reader));
      },
      small_pool());
}

TEST_CASE_TEMPLATE("BufferedReader: a token longer than max_buffered fails with message_size", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    BufferedReader in(p.server, {.max_buffered = 1024});
    auto big = co_await in.read_exactly(1025);
    REQUIRE(!big);
    CHECK(big.error() == errc::message_size);
    auto sender = [](Stream& s) -> Task<> {
      std::string junk(3000, 'x');
      REQUIRE(co_await s.send_all(junk));
    }(p.client);
    auto reader = [](BufferedReader& in) -> Task<> {
      auto line = co_await in.read_until("\n");
      REQUIRE(!line);
      CHECK(line.error() == errc::message_size);
      CHECK(in.available() >= 1024);
      CHECK(in.available() < 1024 + 4096 + 1);  // bounded: at most the cap and one buffer
    }(in);
    co_await when_all(std::move(sender), std::move(reader));
  });
}

TEST_CASE_TEMPLATE("BufferedReader: EOF in the middle of a token is connection_aborted, the bytes stay readable", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    REQUIRE(co_await test::send_and_shutdown(p.client, "one\npartial"));
    BufferedReader in(p.server);
    auto one = co_await in.read_until("\n");
    REQUIRE(one);
    CHECK(*one == "one\n");
    auto rest = co_await in.read_until("\n");
    REQUIRE(!rest);
    CHECK(rest.error() == errc::connection_aborted);
    CHECK(in.peek() == "partial");
    auto block = co_await in.read_exactly(10);
    REQUIRE(!block);
    CHECK(block.error() == errc::connection_aborted);
    in.consume(7);
    CHECK(in.available() == 0);
    auto end = co_await in.read_exactly(10);
    REQUIRE(end);
    CHECK(end->empty());
  });
}

TEST_CASE_TEMPLATE("BufferedReader: a cancelled read loses no bytes - the next read completes the token", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    BufferedReader in(p.server);
    CancelSource src;
    auto reader = test::under(src, line_of(in));
    auto driver = [](Stream& c, CancelSource& src) -> Task<> {
      REQUIRE(co_await c.send_all("par"));
      co_await test::nap(10ms);
      src.cancel();  // the reader waits in recv() with "par" buffered
      co_await test::nap(5ms);
      REQUIRE(co_await c.send_all("tial\n"));
    }(p.client, src);
    auto [first, none] = co_await when_all(std::move(reader), std::move(driver));
    REQUIRE(!first);
    CHECK(first.error() == errc::operation_canceled);
    CHECK(in.peek().substr(0, 3) == "par");
    auto line = co_await line_of(in, "\n");
    REQUIRE(line);
    CHECK(*line == "partial\n");
  });
}

TEST_CASE_TEMPLATE("BufferedReader: closing the stream mid-read ends the read with operation_canceled", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    REQUIRE(co_await p.client.send_all("half a li"));
    BufferedReader in(p.server);
    auto reader = line_of(in);
    auto closer = [](Stream& s) -> Task<> {
      co_await test::nap(10ms);
      s.close();
    }(p.server);
    auto [r, none] = co_await when_all(std::move(reader), std::move(closer));
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    auto after = co_await in.read_until("\r\n");  // the stream is closed now
    CHECK(!after);
  });
}

TEST_CASE_TEMPLATE("BufferedReader: fill() by hand, under with_timeout and cancel_on_stop, loses no bytes", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    BufferedReader in(p.server);
    auto quiet = co_await with_timeout(in.fill(), 10ms);  // nothing sent yet
    REQUIRE(!quiet);
    CHECK(quiet.error() == errc::timed_out);
    REQUIRE(co_await p.client.send_all("abc"));
    auto got = co_await cancel_on_stop(in.fill());
    REQUIRE(got);
    CHECK(*got == 3);
    CHECK(in.peek() == "abc");
    in.consume(1);
    REQUIRE(co_await p.client.send_all("de"));
    auto more = co_await in.fill();  // "bc" is copied out of the receive buffer, "de" follows
    REQUIRE(more);
    CHECK(*more > 0);
    while (in.available() < 4) REQUIRE(co_await in.fill());
    CHECK(in.available() == 4);
    auto quiet2 = co_await with_timeout(in.fill(), 10ms);
    CHECK(quiet2.error() == errc::timed_out);
    CHECK(in.available() == 4);
    std::string all;
    while (in.available()) {
      all.append(in.peek());
      in.consume(in.peek().size());
    }
    CHECK(all == "bcde");
    REQUIRE(p.client.shutdown(ShutdownHow::write));
    auto end = co_await in.fill();
    REQUIRE(end);
    CHECK(*end == 0);
    CHECK(in.eof());
    auto again = co_await in.fill();  // at end of stream: answered without receiving
    REQUIRE(again);
    CHECK(*again == 0);
  });
}
