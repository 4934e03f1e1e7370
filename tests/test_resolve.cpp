// Name resolution on the offload pool: numeric addresses at once, names through getaddrinfo, errors as error codes.
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support.hpp"

using namespace coring;

namespace {
bool is_loopback(const SocketAddress& a) {
  const std::string s = a.to_string();
  return s.starts_with("127.") || s.starts_with("[::1]");
}
}  // namespace

TEST_CASE_TEMPLATE("resolve: localhost, numeric addresses, and names that fail", B, CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    // A numeric address: converted on the shard, no offload.
    const uint64_t offloads = rt.stats().offloads;
    auto v4 = co_await resolve("127.0.0.1", 8080);
    REQUIRE(v4);
    REQUIRE(v4->size() == 1);
    CHECK((*v4)[0].to_string() == "127.0.0.1:8080");
    auto v6 = co_await resolve("[::1]", 8080);
    REQUIRE(v6);
    REQUIRE(v6->size() == 1);
    CHECK((*v6)[0].to_string() == "[::1]:8080");
    CHECK(rt.stats().offloads == offloads);

    // A name: getaddrinfo on the offload pool.
    auto local = co_await resolve("localhost", 80);
    REQUIRE(local);
    REQUIRE_FALSE(local->empty());
    for (const auto& a : *local) {
      CHECK(is_loopback(a));
      CHECK(a.port() == 80);
    }
    CHECK(rt.stats().offloads == offloads + 1);
    auto only4 = co_await resolve("localhost", 80, AF_INET);
    REQUIRE(only4);
    for (const auto& a : *only4) CHECK(a.family() == AF_INET);

    // Failures are error codes of the resolver's category (the name is unknown, or no
    // name server answers in a sandbox: EAI_NONAME or EAI_AGAIN).
    auto bad = co_await resolve("no-such-host.invalid", 80);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().category() == resolve_category());
    CHECK((bad.error().value() == EAI_NONAME || bad.error().value() == EAI_AGAIN));
    CHECK_FALSE(bad.error().message().empty());
    auto bad_family = co_await resolve("127.0.0.1", 80, AF_INET6);
    REQUIRE_FALSE(bad_family);
    CHECK(bad_family.error().category() == resolve_category());
    auto empty = co_await resolve("", 80);
    REQUIRE_FALSE(empty);
    CHECK(empty.error() == errc::invalid_argument);
  });
}

TEST_CASE_TEMPLATE("resolve: Stream::connect by host name tries each address", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();  // 127.0.0.1 only: "localhost" may give ::1 first, refused
    const uint16_t port = l.local_address().port();
    auto c = co_await Stream::connect("localhost", port);
    REQUIRE(c);
    auto s = co_await l.accept();
    REQUIRE(s);
    REQUIRE(co_await c->send_all("by name"));
    auto got = co_await s->recv();
    REQUIRE(got);
    CHECK(got->view() == "by name");
    auto numeric = co_await Stream::connect("127.0.0.1", port, {.no_delay = true});
    CHECK(numeric);
    auto bad = co_await Stream::connect("no-such-host.invalid", port);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().category() == resolve_category());
  });
}

TEST_CASE_TEMPLATE("resolve: a cancelled lookup returns at once, and its late answer is dropped", B, CORING_BACKENDS) {
  RuntimeOptions o;
  o.offload_threads = 1;  // one pool thread, held busy: the lookup waits in the queue
  test::run_on<B>([]() -> Task<> {
    static std::atomic<bool> in, release;
    in = release = false;
    auto block = []() -> Task<> {
      co_await offload([] {
        in = true;
        while (!release) std::this_thread::yield();
      });
    };
    spawn(block());
    while (!in) co_await test::nap(std::chrono::milliseconds(1));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = co_await with_timeout(resolve("localhost", 80), std::chrono::milliseconds(50));
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited < std::chrono::milliseconds(400));
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timed_out);
    CancelSource src;
    src.cancel();
    auto c = co_await with_cancel(resolve("localhost", 80), src);  // cancelled before it starts
    REQUIRE_FALSE(c);
    CHECK(c.error() == errc::operation_canceled);
    release = true;
    // The abandoned lookup runs now; its answer is dropped. New lookups work.
    auto again = co_await resolve("localhost", 80);
    CHECK(again);
  }, o);
}
