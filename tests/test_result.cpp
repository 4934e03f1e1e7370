// Result<T>: every value/error combination of copy and move, a T whose copy throws, and move-only T.
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "coring/net/buffer.hpp"
#include "coring/result.hpp"

using namespace coring;

namespace {

int g_live = 0;        // Counted objects alive now
bool g_throw = false;  // the next copy of a Counted throws

struct Counted {
  std::string s;
  explicit Counted(std::string x) : s(std::move(x)) { ++g_live; }
  Counted(const Counted& o) : s(o.s) {
    if (g_throw) throw std::runtime_error("copy");
    ++g_live;
  }
  Counted(Counted&& o) noexcept : s(std::move(o.s)) { ++g_live; }
  Counted& operator=(const Counted& o) {
    if (g_throw) throw std::runtime_error("assign");
    s = o.s;
    return *this;
  }
  Counted& operator=(Counted&&) noexcept = default;
  ~Counted() { --g_live; }
};

}  // namespace

static_assert(!std::is_copy_constructible_v<Result<std::unique_ptr<int>>>);
static_assert(!std::is_copy_assignable_v<Result<std::unique_ptr<int>>>);
static_assert(std::is_move_constructible_v<Result<std::unique_ptr<int>>>);
static_assert(!std::is_copy_constructible_v<Result<RecvBuffer>>);
static_assert(std::is_copy_constructible_v<Result<std::string>>);

TEST_CASE("result: copy and move between values and errors keep every object counted") {
  g_live = 0;
  {
    Result<Counted> v(Counted(std::string(40, 'v')));
    Result<Counted> e(errc::timed_out);
    Result<Counted> a = v;  // value from value
    Result<Counted> b = e;  // error from error
    CHECK(a.has_value());
    CHECK(b.error() == errc::timed_out);
    a = e;  // value <- error
    CHECK(a.error() == errc::timed_out);
    b = v;  // error <- value
    CHECK(b->s == std::string(40, 'v'));
    b = Result<Counted>(Counted("w"));  // value <- value, moved
    CHECK(b->s == "w");
    a = std::move(b);  // error <- value, moved
    CHECK(a->s == "w");
    a = a;  // NOLINT: self-assignment
    CHECK(a->s == "w");
    CHECK(g_live == 3);  // v, a, and the moved-from b
  }
  CHECK(g_live == 0);
}

TEST_CASE("result: a copy that throws during assignment leaves no destroyed value behind") {
  g_live = 0;
  {
    Result<Counted> held(Counted("held"));
    const Result<Counted> other(Counted("other"));
    Result<Counted> err(errc::timed_out);
    g_throw = true;
    CHECK_THROWS(held = other);  // T's own assignment throws: held keeps its value
    CHECK_THROWS(err = other);   // building the value throws: err holds an error
    g_throw = false;
    CHECK(held->s == "held");
    CHECK_FALSE(err.has_value());
    CHECK(err.error() == errc::state_not_recoverable);
    CHECK(g_live == 2);
  }
  CHECK(g_live == 0);
}
