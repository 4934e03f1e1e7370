// Stream awaiters under every order of close, cancel, completion and frame destruction, and a randomised mix of them.
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>
#include <cstdlib>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::bytes_of;
using test::connected_pair;
using test::nap;
using test::Pair;
using test::recv_once;
using test::under;
using test::make_pattern;
using test::small_buffers;

Task<Result<std::size_t>> send_once(Stream& s, const std::string* d) { co_return co_await s.send_all(bytes_of(*d)); }
Task<Result<std::size_t>> send_once_n(Stream& s, const std::string* d, std::size_t n) {
  if (n & 1) co_return co_await s.send(bytes_of(*d).first(n));
  co_return co_await s.send_all(bytes_of(*d).first(n));
}
Task<> cancel_then_destroy(CancelSource& src, std::unique_ptr<Stream>& s) {
  co_await nap(20ms);
  src.cancel();   // reader: detached by cancel, holds a reference, scheduled
  s.reset();      // the Stream's reference goes before the reader runs
}
Task<> destroy_then_cancel_now(CancelSource& src, std::unique_ptr<Stream>& s) {
  s.reset();      // close: sends in flight cancelled (uring: kCancelling), queued held
  src.cancel();   // then their scopes are cancelled
  co_return;
}
}  // namespace

TEST_CASE_TEMPLATE("stream orders: a recv cancelled, then its Stream destroyed before it runs", B, CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    auto owned = std::make_unique<Stream>(std::move(p.server));
    CancelSource src;
    auto [r, d] = co_await when_all(under(src, recv_once(*owned)), cancel_then_destroy(src, owned));
    (void)d;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    CHECK(rt.stats().connections_open == 1);
  });
}

TEST_CASE_TEMPLATE("stream orders: sends in flight and queued, the Stream destroyed and their scopes cancelled before anything completes", B,
                   CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    const std::string small = "hello";
    const std::string big = make_pattern(3, 4 << 20);
    small_buffers(p.server);
    auto owned = std::make_unique<Stream>(std::move(p.server));
    CancelSource src;
    auto [a, b, c, d] = co_await when_all(under(src, send_once(*owned, &small)), under(src, send_once(*owned, &big)),
                                          under(src, send_once(*owned, &small)), destroy_then_cancel_now(src, owned));
    (void)d;
    MESSAGE("a=" << (a ? std::to_string(*a) : a.error().message()) << " b=" << (b ? std::to_string(*b) : b.error().message())
                 << " c=" << (c ? std::to_string(*c) : c.error().message()));
    CHECK(rt.stats().connections_open == 1);
  });
}

TEST_CASE_TEMPLATE("stream orders: a partial big send, close, cancel, then its completion after the Stream is gone", B,
                   CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    const std::string big = make_pattern(3, 8 << 20);
    small_buffers(p.server);
    small_buffers(p.client);
    auto owned = std::make_unique<Stream>(std::move(p.server));
    CancelSource src;
    auto killer = [](CancelSource& src, std::unique_ptr<Stream>& s) -> Task<> {
      co_await nap(20ms);
      s.reset();
      src.cancel();
    };
    auto [a, b, d] = co_await when_all(under(src, send_once(*owned, &big)), under(src, send_once(*owned, &big)),
                                       killer(src, owned));
    (void)d;
    CHECK(!a);
    CHECK(!b);
    CHECK(rt.stats().connections_open == 1);
  });
}

namespace {
// Frame destruction with operations in flight, driven by hand.
struct Alive {
  int* n;
  explicit Alive(int* c) : n(c) { ++*n; }
  ~Alive() { --*n; }
};
Task<> parked_send(Stream& s, const std::string* d, int* alive, int* resumed) {
  Alive a(alive);
  (void)co_await s.send_all(bytes_of(*d));
  ++*resumed;
}
Task<> parked_recv(Stream& s, int* alive, int* resumed) {
  Alive a(alive);
  (void)co_await s.recv();
  ++*resumed;
}
}  // namespace

TEST_CASE_TEMPLATE("stream orders: close with a send in flight and one queued, then both frames destroyed before completion", B,
                   CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    small_buffers(p.server);
    small_buffers(p.client);
    const std::string big = make_pattern(3, 8 << 20);
    int alive = 0, resumed = 0;
    auto owned = std::make_unique<Stream>(std::move(p.server));
    // Fill the socket so the next send really blocks.
    (void)co_await with_timeout(owned->send_all(bytes_of(big)), 50ms);
    Task<> t1 = parked_send(*owned, &big, &alive, &resumed);
    Task<> t2 = parked_send(*owned, &big, &alive, &resumed);
    Task<> t3 = parked_recv(*owned, &alive, &resumed);
    t1.handle().resume();
    t2.handle().resume();
    t3.handle().resume();
    CHECK(alive == 3);
    if (B::backend == Backend::uring) {
      owned.reset();     // uring: head kCancelling (held), queued stays queued (held); reader scheduled (held)
      t2 = Task<>();     // queued frame destroyed
      t1 = Task<>();     // head frame destroyed before its CQE
      // t3 is scheduled: let it run.
      co_await nap(20ms);
    } else {
      t2 = Task<>();
      t1 = Task<>();
      t3 = Task<>();
      owned.reset();
    }
    co_await nap(20ms);
    CHECK(rt.stats().connections_open == 1);
  });
}

TEST_CASE_TEMPLATE("stream orders: a frame destroyed with its send in flight (no close), the Stream used again", B, CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    small_buffers(p.server);
    small_buffers(p.client);
    const std::string big = make_pattern(3, 8 << 20);
    int alive = 0, resumed = 0;
    (void)co_await with_timeout(p.server.send_all(bytes_of(big)), 50ms);
    for (int i = 0; i < 50; ++i) {
      Task<> t1 = parked_send(p.server, &big, &alive, &resumed);
      Task<> t2 = parked_send(p.server, &big, &alive, &resumed);
      t1.handle().resume();
      t2.handle().resume();
      t1 = Task<>();  // head destroyed: t2 becomes head (uring: new SQE)
      co_await nap(1ms);
      t2 = Task<>();
    }
    CHECK(resumed == 0);
    CHECK(rt.stats().connections_open == 2);
  });
}

// ---------------------------------------------------------------------------
namespace {
struct Rng {
  uint64_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s);
  }
};
int g_stat[8] = {};  // 0 send ok, 1 send canceled, 2 send other err, 3 recv ok, 4 recv canceled, 5 recv other

Task<> chaos_reader(Stream* s, CancelSource* src, int* done, bool* gone) {
  for (;;) {
    if (*gone) break;
    auto r = co_await with_cancel(recv_once(*s), *src);
    ++g_stat[r ? 3 : r.error() == errc::operation_canceled ? 4 : 5];
    if (!r || r->empty()) break;
  }
  ++*done;
}
Task<> chaos_sender(Stream* s, CancelSource* src, const std::string* data, uint32_t seed, int* done, bool* gone) {
  Rng rng{seed | 1};
  for (;;) {
    if (*gone) break;
    std::size_t n = 1 + rng.next() % data->size();
    auto r = co_await with_cancel(send_once_n(*s, data, n), *src);
    ++g_stat[r ? 0 : r.error() == errc::operation_canceled ? 1 : 2];
    if (!r) break;
  }
  ++*done;
}
}  // namespace

namespace {
Task<> slow_drain(Stream* c, uint32_t seed) {
  Rng rng{seed | 1};
  for (;;) {
    auto r = co_await c->recv();
    if (!r || r->empty()) co_return;
    if (rng.next() % 4 == 0) co_await nap(std::chrono::microseconds(rng.next() % 2000));
  }
}
Task<> client_talk(Stream* c, const std::string* data, uint32_t seed) {
  Rng rng{seed | 1};
  for (;;) {
    auto r = co_await c->send(bytes_of(*data).first(1 + rng.next() % 8192));
    if (!r) co_return;
    if (rng.next() % 2) co_await nap(std::chrono::microseconds(rng.next() % 500));
  }
}
Task<> chaos_round(Pair p, uint32_t seed, const std::string* data, int* finished) {
  Rng rng{seed | 1};
  if (rng.next() % 2) {
    small_buffers(p.server);
    small_buffers(p.client);
  }
  auto owned = std::make_unique<Stream>(std::move(p.server));
  Stream client = std::move(p.client);
  CancelSource src_r, src_s;
  int done = 0;
  Stream* raw = owned.get();
  bool gone = false;
  auto chaos = [](std::unique_ptr<Stream>* o, CancelSource* sr, CancelSource* ss, uint32_t seed, Stream* client, bool* gone) -> Task<> {
    Rng rng{seed | 1};
    const int steps = 1 + rng.next() % 4;
    for (int i = 0; i < steps; ++i) {
      switch (rng.next() % 6) {
        case 0: break;
        case 1: co_await nap(std::chrono::microseconds(rng.next() % 3000)); break;
        case 2: sr->cancel(); break;
        case 3: ss->cancel(); break;
        case 4: if (*o) (*o)->close(); break;
        case 5: o->reset(); *gone = true; break;
      }
    }
    if (rng.next() % 2) co_await nap(std::chrono::microseconds(rng.next() % 3000));
    o->reset();
    *gone = true;
    sr->cancel();
    ss->cancel();
    client->close();
  };
  co_await when_all(chaos_reader(raw, &src_r, &done, &gone), chaos_sender(raw, &src_s, data, rng.next(), &done, &gone),
                    chaos_sender(raw, &src_s, data, rng.next(), &done, &gone), slow_drain(&client, rng.next()), client_talk(&client, data, rng.next()),
                    chaos(&owned, &src_r, &src_s, rng.next(), &client, &gone));
  ++*finished;
}
}  // namespace

TEST_CASE_TEMPLATE("stream orders: cancel, close and destroy at random points around recv and sends", B, CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    const std::string data = make_pattern(5, 3 << 20);
    int finished = 0;
    const int rounds = getenv("CHAOS_ROUNDS") ? atoi(getenv("CHAOS_ROUNDS")) : 300;
    const uint32_t off = getenv("CHAOS_SEED") ? static_cast<uint32_t>(atoi(getenv("CHAOS_SEED"))) : 0;
    for (int base = 0; base < rounds; base += 10) {
      std::vector<Task<>> ts;
      for (int k = 1; k <= 10; ++k) ts.push_back(chaos_round(co_await connected_pair(l), base * 7919 + k + off * 1000003, &data, &finished));
      co_await when_all(std::move(ts));
    }
    CHECK(finished == rounds);
    MESSAGE("send ok/cancel/err " << g_stat[0] << "/" << g_stat[1] << "/" << g_stat[2] << " recv " << g_stat[3] << "/" << g_stat[4] << "/" << g_stat[5]);
    co_await nap(20ms);
    CHECK(rt.stats().connections_open == 0);
    CHECK(rt.stats().buffers_in_use == 0);
  });
}
