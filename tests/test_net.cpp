// Streams and listeners on both backends: echo, EOF, connect errors.
#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

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
