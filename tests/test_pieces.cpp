// Receive pieces of large buffers (incremental buffers on io_uring, large reads on epoll): one RecvBuffer per message, boundaries, hand-back, the share in pieces, the whole-buffer fallback.
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/net/buffer_pool.hpp"
#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

namespace {

/// Whether the runtime hands out pieces of large buffers.
bool large_in_use(Runtime& rt) {
  for (const BackendFeature& f : rt.features())
    if (f.name == "incremental_buffers" || f.name == "large_reads") return f.on;
  return false;
}

/// Echoes until EOF, then half-closes.
Task<> echo_server(Stream& s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b) co_return;
    if (b->empty()) break;
    if (!co_await s.send_all(*b)) co_return;
  }
  (void)s.shutdown(ShutdownHow::write);
}

/// Sets an environment variable for one scope.
struct Env {
  const char* name;
  Env(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~Env() { ::unsetenv(name); }
};

}  // namespace

TEST_CASE_TEMPLATE("pieces: a 16 KiB message arrives as one RecvBuffer, and pieces of one buffer follow each other", B,
                   CORING_BACKENDS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    const bool large = large_in_use(rt);
    INFO(rt.describe());
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    const std::string msg = make_pattern(3, 16384);
    REQUIRE(co_await p.client.send_all(bytes_of(msg)));
    co_await nap(20ms);  // all of it in the server's socket
    auto a = co_await p.server.recv();
    REQUIRE(a);
    if (large) CHECK(a->size() == msg.size());
    else CHECK(a->size() <= rt.options().buffer_size);
    std::string got(a->view());
    while (got.size() < msg.size()) {
      auto more = co_await p.server.recv();
      REQUIRE(more);
      REQUIRE(!more->empty());
      got.append(more->view());
    }
    CHECK(got == msg);
    a->reset();
    // Two small messages, each received alone: with large buffers the second
    // piece starts where the first ended, in the same buffer.
    REQUIRE(co_await p.client.send_all(std::string_view("first piece")));
    co_await nap(10ms);
    auto one = co_await p.server.recv();
    REQUIRE(co_await p.client.send_all(std::string_view("second")));
    co_await nap(10ms);
    auto two = co_await p.server.recv();
    REQUIRE(one);
    REQUIRE(two);
    CHECK(one->view() == "first piece");
    CHECK(two->view() == "second");
    if (large) CHECK(two->data() == one->data() + one->size());
    CHECK(rt.stats().buffers_in_use == 2);  // pieces, not buffers
  });
}

TEST_CASE_TEMPLATE("pieces: messages of every size keep their bytes and order across pieces and buffers", B,
                   CORING_BACKENDS) {
  RuntimeOptions o;
  o.buffer_count = 64;  // 256 KiB: pieces wrap through the pool many times
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        Pair p = co_await connected_pair(l);
        std::string all;
        for (std::size_t i = 0, n = 1; all.size() < (3u << 20); ++i, n = (n * 7 + 13) % 70001) all += make_pattern(i, n + 1);
        auto client = [](Stream& s, const std::string& data) -> Task<bool> {
          // Sends in uneven parts, reads the echo back as it comes.
          auto sender = [](Stream& s, const std::string& d) -> Task<bool> {
            std::size_t at = 0, part = 1;
            while (at < d.size()) {
              const std::size_t n = std::min(d.size() - at, part);
              if (!co_await s.send_all(std::span(reinterpret_cast<const std::byte*>(d.data()) + at, n))) co_return false;
              at += n;
              part = part * 3 % 50000 + 1;
            }
            co_return bool(s.shutdown(ShutdownHow::write));
          };
          std::string back;
          auto [sent, received] = co_await when_all(sender(s, data), recv_to_eof(s, &back));
          co_return sent && received && back == data;
        };
        auto [served, ok] = co_await when_all(echo_server(p.server), client(p.client, all));
        (void)served;
        CHECK(ok);
        CHECK(rt.stats().buffers_in_use == 0);
      },
      o);
}

TEST_CASE_TEMPLATE("pieces: the share counts pieces, also when they share one buffer", B, CORING_BACKENDS) {
  RuntimeOptions o;
  o.buffers_per_connection = 4;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        const bool large = large_in_use(rt);
        Listener l = test::listen_local();
        Pair p = co_await connected_pair(l);
        std::vector<RecvBuffer> kept;
        for (int i = 0; i < 6; ++i) {  // six small messages, each received on its own
          REQUIRE(co_await p.client.send_all(std::string_view("0123456789")));
          co_await nap(5ms);
          auto b = co_await with_timeout(p.server.recv(), 1s);
          if (i < 4) {
            REQUIRE(b);
            CHECK(b->size() == 10);
            kept.push_back(std::move(*b));
          } else {
            REQUIRE(!b);
            CHECK(b.error() == std::errc::no_buffer_space);
          }
        }
        if (large)  // four pieces of one buffer: the share is reached all the same
          for (std::size_t i = 1; i < kept.size(); ++i) CHECK(kept[i].data() == kept[i - 1].data() + 10);
        CHECK(rt.stats().buffers_in_use == 4);
        CHECK(rt.stats().connections_paused == 1);
        kept.erase(kept.begin());  // one piece back: one more may come
        auto b = co_await with_timeout(p.server.recv(), 1s);
        REQUIRE(b);
        CHECK(b->view().substr(0, 10) == "0123456789");
        CHECK(rt.stats().connections_paused == 0);
      },
      o);
}

TEST_CASE("pieces: a ring buffer goes back only after its last piece, and once the kernel is done with it") {
  detail::BufferPool pool(64, 4096);
  const uint32_t size = pool.large_size(65536, 4);
  REQUIRE(size == 16384);  // 256 KiB, at least 16 buffers
  pool.use_large(size);
  CHECK(pool.count() == 16);
  std::vector<detail::BufRingEntry> ring(pool.count());
  pool.use_ring(ring.data());
  const auto tail = [&] { return __atomic_load_n(&ring[0].resv, __ATOMIC_ACQUIRE); };
  CHECK(tail() == 16);
  CHECK(pool.available() == 16);
  // Three pieces of buffer 5: the kernel fills it on (BUF_MORE) twice, then is done.
  const uint32_t a = pool.from_kernel(5, 100, true);
  const uint32_t b = pool.from_kernel(5, 200, true);
  CHECK(pool.available() == 16);  // still the kernel's: in the ring
  const uint32_t c = pool.from_kernel(5, size - 300, false);
  const uint32_t at5 = 5u << pool.shift();
  CHECK(pool.addr(5) == pool.base() + 5 * size);
  CHECK(a == at5);
  CHECK(b == at5 + 100);
  CHECK(c == at5 + 300);
  CHECK(pool.piece_buffer(c) == 5);
  CHECK(pool.piece_addr(c) == pool.addr(5) + 300);
  CHECK(pool.in_use() == 3);
  CHECK(pool.available() == 15);
  pool.release(5);
  pool.release(5);
  CHECK(tail() == 16);  // one piece still out
  CHECK(pool.available() == 15);
  pool.release(5);
  CHECK(tail() == 17);  // back on the ring's tail, whole again
  CHECK(pool.available() == 16);
  CHECK(pool.in_use() == 0);
  CHECK(ring[16 & 15].bid == 5);
  CHECK(ring[16 & 15].len == size);
  CHECK(ring[16 & 15].addr == reinterpret_cast<uint64_t>(pool.addr(5)));
  // Pieces released while the kernel still fills the buffer do not return it.
  (void)pool.from_kernel(6, 10, true);
  pool.release(6);
  CHECK(tail() == 17);
  (void)pool.from_kernel(6, size - 10, false);
  pool.release(6);
  CHECK(tail() == 18);
}

TEST_CASE("pieces: a free-list buffer goes back after its filler and its last piece let go") {
  detail::BufferPool pool(64, 4096);
  pool.use_large(pool.large_size(65536, 4));
  const int id = pool.acquire();
  REQUIRE(id >= 0);
  CHECK(pool.available() == 15);
  pool.carve(static_cast<uint16_t>(id));  // two pieces
  pool.carve(static_cast<uint16_t>(id));
  CHECK(pool.in_use() == 2);
  pool.drop(static_cast<uint16_t>(id));  // the reader moved on to another buffer
  pool.release(static_cast<uint16_t>(id));
  CHECK(pool.available() == 15);
  pool.release(static_cast<uint16_t>(id));
  CHECK(pool.available() == 16);
  CHECK(pool.acquire() == id);  // LIFO: the hot buffer first
}

TEST_CASE("pieces: with the incremental canary failed, io_uring receives into whole buffers and says why") {
  Env fail("CORING_URING_CANARY_FAIL", "incremental_buffers");
  test::run_on<Uring>([](Runtime& rt) -> Task<> {
    bool listed = false;
    for (const BackendFeature& f : rt.features())
      if (f.name == "incremental_buffers") {
        listed = true;
        CHECK_FALSE(f.on);
        CHECK(f.why_off.rfind("canary failed: ", 0) == 0);
      }
    CHECK(listed);
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    const std::string msg = make_pattern(9, 100000);
    std::size_t pieces = 0, largest = 0;
    std::string back;
    auto count = [](Stream& s, std::size_t& n, std::size_t& max, std::string& out) -> Task<> {
      for (;;) {
        auto b = co_await s.recv();
        if (!b || b->empty()) co_return;
        ++n;
        max = std::max(max, b->size());
        out.append(b->view());
      }
    };
    co_await when_all(send_and_shutdown(p.client, msg), count(p.server, pieces, largest, back));
    CHECK(back == msg);
    CHECK(largest <= rt.options().buffer_size);
    CHECK(pieces >= msg.size() / rt.options().buffer_size);
  });
}
