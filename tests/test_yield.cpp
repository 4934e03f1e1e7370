// yield_now() on both backends: tasks made ready and I/O completions run before the yielding task goes on.
#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {

Task<> set_flag(bool& flag) {
  flag = true;
  co_return;
}

Task<> receive_into(Stream& s, std::size_t& got) {
  auto r = co_await s.recv();
  REQUIRE(r);
  got = r->size();
}

}  // namespace

TEST_CASE_TEMPLATE("yield: a task spawned before the yield runs before the yielding task resumes", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    bool ran = false;
    spawn(set_flag(ran));
    CHECK_FALSE(ran);
    co_await yield_now();
    CHECK(ran);
  });
}

TEST_CASE_TEMPLATE("yield: a task that never waits still lets a receive complete", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    test::Pair p = co_await test::connected_pair(l);
    std::size_t got = 0;
    spawn(receive_into(p.server, got));
    co_await yield_now();  // the receiver now waits for bytes
    REQUIRE(co_await p.client.send_all(std::string_view("twelve bytes")));
    // A busy task: without the yields, the receive's completion would wait for it to end.
    int turns = 0;
    while (got == 0 && turns < 100000) {
      co_await yield_now();
      ++turns;
    }
    CHECK(got == 12);
    CHECK(turns >= 1);
  });
}
