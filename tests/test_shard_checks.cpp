// Debug-build shard checks: a Stream, Listener, RecvBuffer, CancelSource or Event used off its shard is reported.
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coring/detail/shard_check.hpp"
#include "support.hpp"

using namespace coring;

namespace {

std::mutex g_mu;
std::vector<std::string> g_seen;  // the violations reported through the hook

void record(const char* msg) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_seen.emplace_back(msg);
}
std::vector<std::string> take_seen() {
  std::lock_guard<std::mutex> lock(g_mu);
  return std::exchange(g_seen, {});
}
bool any_has(const std::vector<std::string>& v, std::string_view a, std::string_view b) {
  for (const auto& m : v)
    if (m.find(a) != std::string::npos && m.find(b) != std::string::npos) return true;
  return false;
}

// Installs the recording hook for one test case (the default aborts).
struct HookScope {
  detail::ShardViolationHook old = detail::set_shard_violation_hook(record);
  ~HookScope() {
    detail::set_shard_violation_hook(old);
    take_seen();
  }
};

}  // namespace

TEST_CASE_TEMPLATE("shard checks: shard-local objects used off their shard are reported", B, CORING_BACKENDS) {
  if (!detail::shard_checks_enabled()) {
    MESSAGE("skipped: the library is built with NDEBUG (the checks compile to nothing)");
    return;
  }
  HookScope hook;
  RuntimeOptions o;
  o.shards = 2;
  test::run_on<B>([]() -> Task<> {
    auto l = test::listen_local();
    auto p = co_await test::connected_pair(l);
    REQUIRE(co_await p.client.send_all("hi"));
    auto b = co_await p.server.recv();
    REQUIRE(b);
    CancelSource here;
    here.cancel();
    Event ev_here;
    ev_here.set();
    CHECK(co_await ev_here.wait());
    CHECK(take_seen().empty());  // used on their own shard: nothing to report

    // A thread outside the runtime, while this shard waits for it (no race: the loop is blocked).
    CancelSource src;
    Event ev;
    std::thread([&] {
      b->reset();                          // a RecvBuffer released there would race on the pool
      (void)p.server.recv().await_ready();  // a Stream used there
      src.cancel();
      ev.set();
    }).join();
    auto seen = take_seen();
    CHECK(seen.size() == 4);
    CHECK(any_has(seen, "an Event used on a thread outside the runtime", "owned by shard 0"));
    CHECK(any_has(seen, "a RecvBuffer (released) used on a thread outside the runtime", "owned by shard 0"));
    CHECK(any_has(seen, "a Stream (recv)", "owned by shard 0"));
    CHECK(any_has(seen, "a CancelSource", "owned by shard 0"));

    // Another shard (its calls here touch nothing but the check).
    CancelSource src2;
    Event ev2;
    co_await submit_to(1, [&l, &src2, &ev2] {
      (void)l.accept().await_ready();
      src2.cancel();
      ev2.set();
    });
    seen = take_seen();
    CHECK(seen.size() == 3);
    CHECK(any_has(seen, "an Event used on shard 1", "owned by shard 0"));
    CHECK(any_has(seen, "a Listener (accept) used on shard 1", "owned by shard 0"));
    CHECK(any_has(seen, "a CancelSource used on shard 1", "owned by shard 0"));
  }, o);
}
