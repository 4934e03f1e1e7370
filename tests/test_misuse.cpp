// Misuse gets an error of its own: a second concurrent recv() or accept() fails with device_or_resource_busy, not operation_canceled.
#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

TEST_CASE_TEMPLATE("misuse: a second concurrent recv() on one stream fails with device_or_resource_busy - the first gets the data",
                   B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    auto first = [](Stream& s) -> Task<Result<RecvBuffer>> { co_return co_await s.recv(); };
    auto second = [](Stream& s) -> Task<std::error_code> {
      co_await nap(5ms);  // the first is waiting by now
      auto r = co_await s.recv();
      co_return r ? std::error_code() : r.error();
    };
    auto sender = [](Stream& s) -> Task<> {
      co_await nap(20ms);
      (void)co_await s.send_all(std::string_view("hello"));
    };
    auto [a, b, c] = co_await when_all(first(p.server), second(p.server), sender(p.client));
    (void)c;
    REQUIRE(a);
    CHECK(a->view() == "hello");
    CHECK(b == std::errc::device_or_resource_busy);
    // A cancel is still operation_canceled.
    CancelSource src;
    auto canceller = [](CancelSource& s) -> Task<> {
      co_await nap(5ms);
      s.cancel();
    };
    auto [r, d] = co_await when_all(under(src, recv_once(p.server)), canceller(src));
    (void)d;
    REQUIRE(!r);
    CHECK(r.error() == std::errc::operation_canceled);
  });
}

TEST_CASE_TEMPLATE("misuse: a second concurrent accept() fails with device_or_resource_busy - closing the listener is operation_canceled",
                   B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto first = [](Listener& ls) -> Task<std::error_code> {
      auto s = co_await ls.accept();
      co_return s ? std::error_code() : s.error();
    };
    auto second = [](Listener& ls) -> Task<std::error_code> {
      co_await nap(5ms);
      auto s = co_await ls.accept();
      co_return s ? std::error_code() : s.error();
    };
    auto closer = [](Listener& ls) -> Task<> {
      co_await nap(20ms);
      ls.close();
    };
    auto [a, b, c] = co_await when_all(first(l), second(l), closer(l));
    (void)c;
    CHECK(b == std::errc::device_or_resource_busy);
    CHECK(a == std::errc::operation_canceled);
  });
}
