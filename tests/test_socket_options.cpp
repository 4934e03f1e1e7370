// Socket options on both backends: set_option/get_option on streams and listeners, Stream::connect with ConnectOptions.
#include "support.hpp"

using namespace coring;

TEST_CASE_TEMPLATE("socket options: set and read back on a stream and a listener - closed ones fail", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    CHECK(l.set_option(SocketOption::recv_buffer, 64 * 1024));
    auto lr = l.get_option(SocketOption::recv_buffer);
    REQUIRE(lr);
    CHECK(*lr >= 64 * 1024);  // Linux reports double what was asked
    test::Pair p = co_await test::connected_pair(l);
    for (auto opt : {SocketOption::no_delay, SocketOption::keep_alive}) {
      REQUIRE(p.server.set_option(opt, 1));
      auto on = p.server.get_option(opt);
      REQUIRE(on);
      CHECK(*on != 0);
      REQUIRE(p.server.set_option(opt, 0));
      auto off = p.server.get_option(opt);
      REQUIRE(off);
      CHECK(*off == 0);
    }
    REQUIRE(p.client.set_option(SocketOption::send_buffer, 32 * 1024));
    auto sb = p.client.get_option(SocketOption::send_buffer);
    REQUIRE(sb);
    CHECK(*sb >= 32 * 1024);
    p.server.close();
    auto closed = p.server.get_option(SocketOption::no_delay);
    REQUIRE(!closed);
    CHECK(closed.error() == errc::bad_file_descriptor);
    l.close();
    CHECK(l.set_option(SocketOption::keep_alive, 1).error() == errc::bad_file_descriptor);
  });
}

TEST_CASE_TEMPLATE("Stream::connect with ConnectOptions: source address and socket options before connecting", B,
                   CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    auto source = SocketAddress::parse("127.0.0.2:0");
    REQUIRE(source);
    auto c = co_await Stream::connect(l.local_address(),
                                      {.source = *source, .no_delay = true, .keep_alive = true, .recv_buffer = 48 * 1024});
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    auto peer = s->peer_address();
    REQUIRE(peer);
    CHECK(peer->to_string().starts_with("127.0.0.2:"));
    CHECK(*c->get_option(SocketOption::no_delay) != 0);
    CHECK(*c->get_option(SocketOption::keep_alive) != 0);
    CHECK(*c->get_option(SocketOption::recv_buffer) >= 48 * 1024);
    REQUIRE(co_await c->send_all("x"));
    auto b = co_await s->recv();
    REQUIRE(b);
    CHECK(b->view() == "x");

    // A source address this host does not have.
    auto bad = co_await Stream::connect(l.local_address(), {.source = SocketAddress::parse("192.0.2.1:0").value()});
    REQUIRE(!bad);
    CHECK(bad.error() == errc::address_not_available);
  });
}
