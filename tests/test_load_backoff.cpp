// coring-load's reconnect backoff (exponential, capped, full jitter) and its per-bucket timeline.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "apps/load/backoff.hpp"
#include "apps/load/timeline.hpp"

using namespace coring::load;
using std::chrono::milliseconds;
using ns = std::chrono::nanoseconds;

TEST_CASE("backoff without jitter doubles from min up to max, and starts over after reset") {
  Backoff b(milliseconds(10), milliseconds(100), /*jitter=*/false, 1);
  CHECK(b.next() == milliseconds(10));
  CHECK(b.next() == milliseconds(20));
  CHECK(b.next() == milliseconds(40));
  CHECK(b.next() == milliseconds(80));
  CHECK(b.next() == milliseconds(100));
  CHECK(b.next() == milliseconds(100));
  for (int i = 0; i < 200; ++i) CHECK(b.next() == milliseconds(100));  // no overflow past 2^63
  b.reset();
  CHECK(b.attempt() == 0);
  CHECK(b.next() == milliseconds(10));
}

TEST_CASE("backoff caps: a max below min is min, and huge attempts stay at max") {
  Backoff b(milliseconds(50), milliseconds(10), false, 1);
  CHECK(b.next() == milliseconds(50));
  CHECK(b.next() == milliseconds(50));
  Backoff c(ns(1), std::chrono::hours(24), false, 1);
  CHECK(c.cap_at(10) == ns(1024));
  CHECK(c.cap_at(1000) == std::chrono::hours(24));
}

TEST_CASE("full jitter draws uniformly from [0, cap] for each attempt") {
  constexpr int kDraws = 20000;
  Backoff b(milliseconds(8), milliseconds(64), true, 42);
  double sum = 0;
  ns lo = milliseconds(8), hi{0};
  for (int i = 0; i < kDraws; ++i) {
    b.reset();
    const ns d = b.next();  // attempt 0: [0, 8 ms]
    CHECK(d >= ns(0));
    CHECK(d <= milliseconds(8));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += double(d.count());
  }
  const double mean_ms = sum / kDraws / 1e6;
  CHECK(mean_ms > 3.8);  // uniform on [0, 8]: mean 4, standard error 0.016
  CHECK(mean_ms < 4.2);
  CHECK(lo < milliseconds(1));
  CHECK(hi > milliseconds(7));
  b.reset();
  for (int n = 0; n < 10; ++n) {
    const ns d = b.next();
    CHECK(d <= b.cap_at(static_cast<unsigned>(n)));
  }
}

TEST_CASE("jitter is reproducible per seed and differs between seeds") {
  Backoff a(milliseconds(10), milliseconds(1000), true, 7), b(milliseconds(10), milliseconds(1000), true, 7),
      c(milliseconds(10), milliseconds(1000), true, 8);
  int same = 0;
  for (int i = 0; i < 8; ++i) {
    const ns x = a.next(), y = b.next(), z = c.next();
    CHECK(x == y);
    same += x == z;
  }
  CHECK(same < 8);
}

TEST_CASE("timeline counts events per bucket and writes one row per bucket up to the last event") {
  Timeline t(1'000'000'000, 10'000'000);  // 10 ms buckets from t = 1 s
  t.add(Timeline::connect, 999'999'999);  // before the start: ignored
  t.add(Timeline::connect, 1'000'000'000);
  t.add(Timeline::connect, 1'009'999'999);
  t.add(Timeline::connect_failure, 1'010'000'000);
  t.add(Timeline::request, 1'055'000'000);
  t.add(Timeline::failed_request, 1'055'000'001);
  t.add(Timeline::close, 1'055'000'002);
  char path[] = "/tmp/coring_timeline_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  REQUIRE(t.write(path));
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path);
  CHECK(all ==
        "t_ms,connects,connect_failures,closes,requests,failed_requests\n"
        "0.000,2,0,0,0,0\n"
        "10.000,0,1,0,0,0\n"
        "20.000,0,0,0,0,0\n"
        "30.000,0,0,0,0,0\n"
        "40.000,0,0,0,0,0\n"
        "50.000,0,0,1,1,1\n");
}
