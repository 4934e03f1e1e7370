// Fixed (registered) buffers and zero-copy sends on every backend and rung: acquire, exhaustion, sends, file reads, notifications across cancel and close, the fallback.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::make_pattern;
using test::recv_to_eof;
using test::small_buffers;
using test::TempFile;

constexpr uint32_t kCount = 4;
constexpr uint32_t kSize = 64 * 1024;

RuntimeOptions few_buffers(const char* off = nullptr) {
  RuntimeOptions o;
  o.fixed_buffer_count = kCount;
  o.fixed_buffer_size = kSize;
  if (off) o.uring_off = off;
  return o;
}

bool env_turns_off(const char* name) {
  const char* e = std::getenv("CORING_URING_OFF");
  return e && (std::strstr(e, name) || std::strstr(e, "all"));
}
/// Whether B's runtime registers its fixed buffers / sends zero-copy here.
template <class B>
bool expect_registered() {
  return B::backend == Backend::uring && !env_turns_off("fixed_buffers");
}
template <class B>
bool expect_zero_copy() {
  return B::backend == Backend::uring && !env_turns_off("send_zc");
}

/// A fixed buffer filled with `data`.
FixedBuffer filled(const std::string& data) {
  auto b = FixedBuffer::try_acquire();
  REQUIRE(b);
  b->assign(data);
  return std::move(*b);
}

Task<Result<std::size_t>> send_fixed_then_shutdown(Stream& s, FixedBuffer b) {
  auto r = co_await s.send_all(std::move(b));
  (void)s.shutdown();
  co_return r;
}

/// Sends `n` buffers of pattern bytes, one after the other (a sender the peer does not read from).
Task<Result<std::size_t>> send_many(Stream& s, int n) {
  std::size_t total = 0;
  for (int i = 0; i < n; ++i) {
    auto b = FixedBuffer::try_acquire();
    if (!b) co_return b.error();
    b->assign(make_pattern(i, kSize));
    auto r = co_await s.send_all(std::move(*b));
    if (!r) co_return r.error();
    total += *r;
  }
  co_return total;
}

/// The first `n` bytes send_many sends.
std::string sent_prefix(std::size_t n) {
  std::string all;
  for (int i = 0; all.size() < n; ++i) all += make_pattern(i, kSize);
  return all.substr(0, n);
}

/// Waits (bounded) until every zero-copy notification arrived and every fixed buffer is back.
Task<bool> pool_settles(Runtime& rt) {
  for (int i = 0; i < 300; ++i) {
    const RuntimeStats st = rt.stats();
    if (st.zc_pending == 0 && st.fixed_buffers_in_use == 0) co_return true;
    co_await test::nap(10ms);
  }
  co_return false;
}

Task<> close_later(Stream& s, Duration d) {
  co_await sleep_for(d);
  s.close();
}
}  // namespace

TEST_CASE_TEMPLATE("fixed buffers: acquired until the pool is empty (no_buffer_space, no wait), then given back", B,
                   CORING_RUNGS) {
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        std::vector<FixedBuffer> held;
        for (uint32_t i = 0; i < kCount; ++i) {
          auto b = FixedBuffer::try_acquire();
          REQUIRE(b);
          CHECK(b->capacity() == kSize);
          CHECK(b->registered() == expect_registered<B>());
          held.push_back(std::move(*b));
        }
        CHECK(rt.stats().fixed_buffers_in_use == kCount);
        auto none = FixedBuffer::try_acquire();
        REQUIRE(!none);
        CHECK(none.error() == errc::no_buffer_space);
        CHECK(rt.stats().fixed_buffer_exhausted == 1);
        // Distinct memory, each writable to its end.
        for (auto& b : held) std::memset(b.data(), 0x5a, b.capacity());
        CHECK(held[0].data() != held[1].data());
        held.pop_back();  // one back: one can be taken again
        CHECK(rt.stats().fixed_buffers_in_use == kCount - 1);
        auto again = FixedBuffer::try_acquire();
        CHECK(again);
        held.clear();
        again->reset();
        CHECK(rt.stats().fixed_buffers_in_use == 0);
        co_return;
      },
      few_buffers());
}

TEST_CASE("fixed buffers: try_acquire outside a runtime is refused") {
  auto b = FixedBuffer::try_acquire();
  REQUIRE(!b);
  CHECK(b.error() == errc::operation_not_permitted);
}

TEST_CASE_TEMPLATE("fixed buffers: sends below and above the zero-copy threshold arrive exactly, and loopback's copy turns zero-copy off for the connection",
                   B, CORING_RUNGS) {
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        auto [c, s] = co_await test::connected_pair(l);
        std::string want;
        std::string got;
        auto sender = [&]() -> Task<bool> {
          for (std::size_t n : {std::size_t(100), std::size_t(kSize), std::size_t(kSize), std::size_t(20000)}) {
            const std::string part = make_pattern(n, n);
            want += part;
            auto r = co_await s.send_all(filled(part));
            if (!r || *r != n) co_return false;
            // (The zero-copy send of the first full buffer is reported copied on loopback.)
            if (expect_zero_copy<B>() && n == kSize) CHECK(rt.stats().zc_sends == 1);
            co_await test::nap(5ms);  // the notification arrives
          }
          (void)s.shutdown();
          co_return true;
        };
        auto [ok, received] = co_await when_all(sender(), recv_to_eof(c, &got));
        CHECK(ok);
        CHECK(received);
        CHECK(got == want);
        CHECK(co_await pool_settles(rt));
        const RuntimeStats st = rt.stats();
        if (expect_zero_copy<B>()) {
          CHECK(st.zc_sends == 1);   // the second full buffer and the 20000 bytes went by copy
          CHECK(st.zc_copied == 1);  // loopback always copies
        } else {
          CHECK(st.zc_sends == 0);
        }
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: a zero-copy send's buffer stays out of the pool until its notification", B, CORING_RUNGS) {
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        auto [c, s] = co_await test::connected_pair(l);
        const std::string data = make_pattern(3, kSize);
        std::string got;
        auto sender = [&]() -> Task<bool> {
          auto r = co_await s.send_all(filled(data));
          // Resumed by the send's own completion: the notification comes after it.
          const RuntimeStats st = rt.stats();
          if (expect_zero_copy<B>()) {
            CHECK(st.zc_pending == 1);
            CHECK(st.fixed_buffers_in_use == 1);  // the awaiter let go; the kernel's pin holds it
          } else {
            CHECK(st.fixed_buffers_in_use == 0);
          }
          (void)s.shutdown();
          co_return r && *r == data.size();
        };
        auto [ok, received] = co_await when_all(sender(), recv_to_eof(c, &got));
        CHECK(ok);
        CHECK(received);
        CHECK(got == data);
        CHECK(co_await pool_settles(rt));
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: a file read into one (READ_FIXED) and sent from it", B, CORING_RUNGS) {
  TempFile tf(3 * kSize + 123);
  test::run_on<B>(
      [&](Runtime& rt) -> Task<> {
        auto f = co_await File::open(tf.path.string());
        REQUIRE(f);
        Listener l = test::listen_local();
        auto [c, s] = co_await test::connected_pair(l);
        std::string got;
        auto sender = [&]() -> Task<bool> {
          for (uint64_t off = 0; off < tf.data.size();) {
            auto b = FixedBuffer::try_acquire();
            if (!b) co_return false;
            auto n = co_await f->read_at(*b, off);
            if (!n || *n == 0) co_return false;
            b->resize(*n);
            CHECK(b->view() == std::string_view(tf.data).substr(off, *n));
            off += *n;
            if (!co_await s.send_all(std::move(*b))) co_return false;
          }
          (void)s.shutdown();
          co_return true;
        };
        auto [ok, received] = co_await when_all(sender(), recv_to_eof(c, &got));
        CHECK(ok);
        CHECK(received);
        CHECK(got == tf.data);
        CHECK(co_await pool_settles(rt));
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: a cancelled file read into one gives it back", B, CORING_RUNGS) {
  TempFile tf(kSize);
  test::run_on<B>(
      [&](Runtime& rt) -> Task<> {
        auto f = co_await File::open(tf.path.string());
        REQUIRE(f);
        for (int i = 0; i < 20; ++i) {
          auto b = FixedBuffer::try_acquire();
          REQUIRE(b);
          auto read = [&]() -> Task<Result<std::size_t>> { co_return co_await f->read_at(*b, 0); };
          CancelSource src;
          src.cancel();  // cancelled before or while it runs: either way it ends and the buffer comes back
          auto r = co_await test::under(src, read());
          if (r) CHECK(*r == kSize);
          else CHECK(r.error() == errc::operation_canceled);
        }
        CHECK(rt.stats().fixed_buffers_in_use == 0);
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: sends cancelled (timeout) with the peer not reading: every buffer and notification comes back",
                   B, CORING_RUNGS) {
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        for (int round = 0; round < 3; ++round) {
          auto [c, s] = co_await test::connected_pair(l);
          small_buffers(s);
          small_buffers(c);
          auto r = co_await with_timeout(send_many(s, kCount), 30ms);
          REQUIRE(!r);
          CHECK(r.error() == errc::timed_out);
          // The peer reads what was queued: only pattern bytes, in order.
          s.close();
          std::string got;
          (void)co_await recv_to_eof(c, &got);
          CHECK(got == sent_prefix(got.size()));
        }
        CHECK(co_await pool_settles(rt));
        if (expect_zero_copy<B>()) CHECK(rt.stats().zc_sends >= 3);
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: the stream closed and the task destroyed with a zero-copy send outstanding", B, CORING_RUNGS) {
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        {  // closed by another task while the send waits for room
          auto [c, s] = co_await test::connected_pair(l);
          small_buffers(s);
          small_buffers(c);
          auto [r, done] = co_await when_all(send_many(s, 2), close_later(s, 20ms));
          (void)done;
          REQUIRE(!r);
          CHECK(r.error() == errc::operation_canceled);
        }
        {  // the sending task's frame destroyed mid-send; then both ends closed
          auto [c, s] = co_await test::connected_pair(l);
          small_buffers(s);
          small_buffers(c);
          Task<Result<std::size_t>> t = send_many(s, 2);
          t.handle().resume();
          co_await test::nap(20ms);
          t = {};  // the awaiter and its FixedBuffer go; the pool keeps the pinned buffer
          // io_uring: the cancelled send's final completion is not reaped yet, its pin holds the buffer.
          if constexpr (B::backend == Backend::uring) CHECK(rt.stats().fixed_buffers_in_use >= 1);
          if (auto other = FixedBuffer::try_acquire()) std::memset(other->data(), 0xEE, kSize);  // changes nothing sent
          const std::string got = test::read_raw(c.native_handle(), 200ms);
          CHECK(got == sent_prefix(got.size()));
        }
        CHECK(co_await pool_settles(rt));
        // Every buffer can be taken again.
        std::vector<FixedBuffer> all;
        for (uint32_t i = 0; i < kCount; ++i) {
          auto b = FixedBuffer::try_acquire();
          REQUIRE(b);
          all.push_back(std::move(*b));
        }
      },
      few_buffers());
}

TEST_CASE_TEMPLATE("fixed buffers: registration turned off (CORING_URING_OFF=fixed_buffers,send_zc) falls back to plain memory with a stated reason",
                   B, CORING_BACKENDS) {
  TempFile tf(kSize);
  test::run_on<B>(
      [&](Runtime& rt) -> Task<> {
        const std::string d = rt.describe();
        INFO(d);
        CHECK(d.find("fixed_buffers=plain") != std::string::npos);
        if constexpr (B::backend == Backend::uring) {
          CHECK(d.find("off by option (CORING_URING_OFF=fixed_buffers)") != std::string::npos);
          CHECK(d.find("off by option: fixed_buffers,send_zc") != std::string::npos);
        }
        auto f = co_await File::open(tf.path.string());
        REQUIRE(f);
        auto b = FixedBuffer::try_acquire();
        REQUIRE(b);
        CHECK(!b->registered());
        auto n = co_await f->read_at(*b, 0);
        REQUIRE(n);
        b->resize(*n);
        Listener l = test::listen_local();
        auto [c, s] = co_await test::connected_pair(l);
        std::string got;
        auto [sent, ok] = co_await when_all(send_fixed_then_shutdown(s, std::move(*b)), recv_to_eof(c, &got));
        CHECK(sent);
        CHECK(ok);
        CHECK(got == tf.data);
        CHECK(rt.stats().zc_sends == 0);
      },
      few_buffers("fixed_buffers,send_zc"));
}
