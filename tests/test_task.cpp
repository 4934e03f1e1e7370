// Task semantics: laziness, results, exceptions, symmetric transfer over long chains.
#include "support.hpp"

using namespace coring;

namespace {
Task<int> value(int v) { co_return v; }
Task<int> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}
}  // namespace

TEST_CASE("a task does not start until awaited") {
  bool started = false;
  auto body = [](bool& flag) -> Task<int> {  // captureless: the frame must not refer to the closure
    flag = true;
    co_return 7;
  };
  auto t = body(started);
  CHECK_FALSE(started);
  Runtime rt;
  CHECK(rt.block_on(std::move(t)) == 7);
  CHECK(started);
}

// Symmetric transfer becomes a tail call only when the compiler optimises
// (GCC at -O0 keeps the frames), so the deep case runs in optimised builds.
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
constexpr int kDepth = 1'000'000;
#else
constexpr int kDepth = 10'000;
#endif

TEST_CASE("a deep chain of co_await does not grow the stack") {
  Runtime rt;
  CHECK(rt.block_on(chain(kDepth)) == kDepth);
}

TEST_CASE("exceptions travel to the awaiter") {
  Runtime rt;
  auto thrower = []() -> Task<int> {
    throw std::runtime_error("boom");
    co_return 1;
  };
  auto outer = [&]() -> Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  CHECK(rt.block_on(outer()) == "boom");
  CHECK(rt.block_on(value(3)) == 3);
}
