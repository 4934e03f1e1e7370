// BufferedWriter on both backends: gathering, automatic flush at capacity, direct sends of large writes, cancel and close.
#include "support.hpp"

#include <string>

using namespace coring;
using namespace std::chrono_literals;

namespace {

using test::Pair;

Task<Result<void>> flush_of(BufferedWriter& w) { co_return co_await w.flush(); }

}  // namespace

TEST_CASE_TEMPLATE("BufferedWriter: small writes stay buffered until flush, then leave in order", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    BufferedWriter out(p.server);
    std::string expect;
    for (int i = 0; i < 10; ++i) {
      std::string piece = "+OK " + std::to_string(i) + "\r\n";
      REQUIRE(co_await out.write(piece));
      expect += piece;
    }
    CHECK(out.buffered() == expect.size());
    auto early = co_await with_timeout(p.client.recv(), 20ms);
    REQUIRE(!early);
    CHECK(early.error() == errc::timed_out);  // nothing was sent yet
    REQUIRE(co_await out.flush());
    CHECK(out.buffered() == 0);
    REQUIRE(co_await out.flush());  // nothing to send: ready at once
    REQUIRE(p.server.shutdown(ShutdownHow::write));
    std::string got;
    REQUIRE(co_await test::recv_to_eof(p.client, &got));
    CHECK(got == expect);
  });
}

TEST_CASE_TEMPLATE("BufferedWriter: writes past capacity flush first - larger ones go out directly - memory stays bounded",
                   B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    auto writer = [](Stream& s) -> Task<std::string> {
      BufferedWriter out(s, {.capacity = 64});
      std::string sent;
      for (int i = 0; i < 500; ++i) {
        // Mostly small pieces, now and then one larger than the whole buffer.
        std::string piece = i % 50 == 7 ? test::make_pattern(i, 300) : test::make_pattern(i, 1 + i % 23);
        REQUIRE(co_await out.write(piece));
        CHECK(out.buffered() <= out.capacity());
        if (piece.size() > 64) CHECK(out.buffered() == 0);  // sent without a copy
        sent += piece;
      }
      REQUIRE(co_await out.flush());
      REQUIRE(s.shutdown(ShutdownHow::write));
      co_return sent;
    }(p.server);
    auto reader = [](Stream& c) -> Task<std::string> {
      std::string got;
      REQUIRE(co_await test::recv_to_eof(c, &got));
      co_return got;
    }(p.client);
    auto [sent, got] = co_await when_all(std::move(writer), std::move(reader));
    CHECK(got.size() == sent.size());
    CHECK(got == sent);
  });
}

TEST_CASE_TEMPLATE("BufferedWriter: a flush blocked by a slow peer can be cancelled - a closed stream fails", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    Pair p = co_await test::connected_pair(l);
    test::small_buffers(p.server);
    test::small_buffers(p.client);
    BufferedWriter out(p.server, {.capacity = 4 << 20});
    REQUIRE(co_await out.write(test::make_pattern(3, 4 << 20)));  // the peer never reads it all
    CancelSource src;
    auto flusher = test::under(src, flush_of(out));
    auto canceller = [](CancelSource& s) -> Task<> {
      co_await test::nap(20ms);
      s.cancel();
    }(src);
    auto [r, none] = co_await when_all(std::move(flusher), std::move(canceller));
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(out.buffered() == 0);  // dropped: an unknown prefix went out

    p.server.close();
    REQUIRE(co_await out.write("abc"));  // buffered only
    auto closed = co_await out.flush();
    REQUIRE(!closed);
    CHECK(closed.error() == errc::bad_file_descriptor);
  });
}
