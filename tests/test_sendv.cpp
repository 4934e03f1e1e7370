// Vectored send_all(parts) on every backend and rung: order, short sends, other senders, cancel, close, abandon.
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::bytes_of;
using test::make_pattern;
using test::read_raw;
using test::recv_to_eof;
using test::small_buffers;

using Part = std::span<const std::byte>;

/// Parts of `data` cut at uneven places, empty ones among them.
std::vector<Part> cut(const std::string& data, std::size_t pieces) {
  std::vector<Part> parts;
  std::size_t at = 0;
  for (std::size_t i = 0; i < pieces && at < data.size(); ++i) {
    const std::size_t n = i % 5 == 3 ? 0 : std::min(data.size() - at, 1 + (i * 7919) % 200000);
    parts.push_back(bytes_of(data).subspan(at, n));
    at += n;
  }
  if (at < data.size()) parts.push_back(bytes_of(data).subspan(at));
  return parts;
}

Task<Result<std::size_t>> sendv_then_shutdown(Stream& s, const std::vector<Part>& parts) {
  auto r = co_await s.send_all(std::span<const Part>(parts));
  (void)s.shutdown();
  co_return r;
}

/// Sends `n` blocks of `size` bytes, each filled with one value; vectored
/// blocks are cut in three parts.
Task<bool> blocks(Stream& s, char first, int n, std::size_t size, bool vectored) {
  for (int i = 0; i < n; ++i) {
    const std::string b(size, static_cast<char>(first + i));
    if (vectored) {
      const Part parts[] = {bytes_of(b).subspan(0, 100), bytes_of(b).subspan(100, size / 2),
                            bytes_of(b).subspan(100 + size / 2)};
      auto r = co_await s.send_all(parts);
      if (!r || *r != size) co_return false;
    } else {
      auto r = co_await s.send_all(bytes_of(b));
      if (!r) co_return false;
    }
  }
  co_return true;
}

Task<Result<std::size_t>> sendv_forever(Stream& s) {
  const std::string a = make_pattern(3, 1 << 20), b = make_pattern(4, 1 << 20);
  const Part parts[] = {bytes_of(a), bytes_of(b)};
  std::size_t total = 0;
  for (;;) {
    auto r = co_await s.send_all(parts);
    if (!r) co_return r.error();
    total += *r;
  }
}

Task<Result<std::size_t>> bounded(Stream& s) { co_return co_await with_timeout(sendv_forever(s), 5s); }

Task<> sendv_from(Stream& s, const char* a, const char* b, std::size_t n) {
  const Part parts[] = {Part(reinterpret_cast<const std::byte*>(a), n), Part(reinterpret_cast<const std::byte*>(b), n)};
  (void)co_await s.send_all(parts);
}

Task<> close_later(Stream& s) {
  co_await sleep_for(20ms);
  s.close();
}
}  // namespace

TEST_CASE_TEMPLATE("sendv: 3 MiB in uneven parts arrive whole and in order through short sends", B, CORING_RUNGS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(c);
    small_buffers(s);
    const std::string data = make_pattern(1, 3 << 20);
    const std::vector<Part> parts = cut(data, 60);  // more parts than one try gathers
    std::string got;
    auto [sent, ok] = co_await when_all(sendv_then_shutdown(s, parts), recv_to_eof(c, &got));
    REQUIRE(sent);
    CHECK(*sent == data.size());
    CHECK(ok);
    CHECK(got == data);
  });
}

TEST_CASE_TEMPLATE("sendv: empty parts and no parts", B, CORING_BACKENDS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    const std::vector<Part> none;
    auto r0 = co_await s.send_all(std::span<const Part>(none));
    REQUIRE(r0);
    CHECK(*r0 == 0);
    const std::string x = "xy";
    const Part parts[] = {Part{}, bytes_of(x), Part{}};
    auto r = co_await s.send_all(parts);
    REQUIRE(r);
    CHECK(*r == 2);
    (void)s.shutdown();
    std::string got;
    CHECK(co_await recv_to_eof(c, &got));
    CHECK(got == "xy");
  });
}

TEST_CASE_TEMPLATE("sendv: ordered with plain sends from other tasks (blocks never interleave)", B, CORING_RUNGS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(c);
    small_buffers(s);
    constexpr std::size_t kSize = 100'000;
    std::string got;
    auto senders = [](Stream& st) -> Task<bool> {
      auto [a, b, d] = co_await when_all(blocks(st, 'A', 10, kSize, true), blocks(st, 'a', 10, kSize, false),
                                         blocks(st, '0', 5, kSize, true));
      (void)st.shutdown();
      co_return a && b && d;
    };
    auto [sent, ok] = co_await when_all(senders(s), recv_to_eof(c, &got));
    CHECK(sent);
    CHECK(ok);
    REQUIRE(got.size() == 25 * kSize);
    for (std::size_t i = 0; i < 25; ++i) {
      const char v = got[i * kSize];
      INFO("block " << i);
      CHECK(got.find_first_not_of(v, i * kSize) >= (i + 1) * kSize);
    }
  });
}

TEST_CASE_TEMPLATE("sendv: a cancelled vectored send fails with timed_out - the stream stays usable", B, CORING_RUNGS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(s);
    auto r = co_await with_timeout(sendv_forever(s), 50ms);
    REQUIRE(!r);
    CHECK(r.error() == errc::timed_out);
    CHECK(s.is_open());
  });
}

TEST_CASE_TEMPLATE("sendv: close() from another task wakes a blocked vectored send", B, CORING_RUNGS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    auto [r, done] = co_await when_all(bounded(s), close_later(s));
    (void)done;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
  });
}

TEST_CASE_TEMPLATE("sendv: a vectored send abandoned in flight (its frame destroyed) puts no freed bytes on the wire",
                   B, CORING_RUNGS) {
  test::run_on<B>([]() -> Task<> {
    Listener l = test::listen_local();
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(s);
    small_buffers(c);
    constexpr std::size_t kHalf = 2 << 20;
    const std::string want = make_pattern(5, 2 * kHalf);
    auto data = std::make_unique<std::string>(want);
    Task<> t = sendv_from(s, data->data(), data->data() + kHalf, kHalf);
    t.handle().resume();  // in flight: the peer does not read
    co_await test::nap(20ms);
    t = Task<>();  // its frame (msghdr, iovecs) destroyed while the kernel has the sendmsg
    std::memset(data->data(), 0xEE, data->size());
    const std::string got = read_raw(c.native_handle(), 600ms);
    CHECK(got.size() > 0);
    CHECK(got.size() < want.size());
    std::size_t bad = 0;
    while (bad < got.size() && got[bad] == want[bad]) ++bad;
    CHECK_MESSAGE(bad == got.size(), "byte " << bad << " of " << got.size() << " is not the sent data");
  });
}
