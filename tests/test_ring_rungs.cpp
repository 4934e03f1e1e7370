// The io_uring rungs (DEFER_TASKRUN on and off, a plain ring) and epoll: sends abandoned mid-flight, CQ overflow.
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

namespace {

/// The rung really runs: describe() names defer_taskrun only where it is on.
template <class B>
void check_rung(Runtime& rt) {
  const std::string d = rt.describe();
  const std::string in_use = d.substr(0, d.find(" (off"));  // then "(off by option: ...)"
  if constexpr (requires { B::uring_off; }) {
    CHECK(in_use.find("defer_taskrun") == std::string::npos);
    CHECK(d.find("off by option: defer_taskrun") != std::string::npos);
  }
  if constexpr (std::is_same_v<B, Uring>) {
    if (!std::getenv("CORING_URING_OFF")) {
      CHECK(in_use.find("defer_taskrun") != std::string::npos);
      // The fixed-buffer rungs: registered buffers and zero-copy sends are on where the kernel has them.
      CHECK(in_use.find("send_zc") != std::string::npos);
      CHECK(d.find("fixed_buffers=8x262144") != std::string::npos);
    }
  }
}

Task<> send_from(Stream& s, const char* p, std::size_t n) {
  (void)co_await s.send_all(std::span(reinterpret_cast<const std::byte*>(p), n));
}

}  // namespace

TEST_CASE("rungs: CORING_URING_OFF names the fixed-buffer features, and describe() says they are off") {
  RuntimeOptions o;
  o.backend = Backend::uring;
  o.uring_off = "send_zc,fixed_buffers";
  Runtime rt(o);
  REQUIRE(rt.backend() == Backend::uring);
  const std::string d = rt.describe();
  INFO(d);
  CHECK(d.find("off by option: send_zc,fixed_buffers") != std::string::npos);
  CHECK(d.find("fixed_buffers=plain (off by option") != std::string::npos);
  const std::string in_use = d.substr(0, d.find(" (off"));
  CHECK(in_use.find("send_zc") == std::string::npos);
}

TEST_CASE_TEMPLATE("rungs: a large send's task destroyed while the send waits - the peer then reads only the sent bytes, in order",
                   B, CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    check_rung<B>(rt);
    Listener l = test::listen_local();
    constexpr std::size_t kSize = 4 << 20;
    for (int round = 0; round < 3; ++round) {
      // A fresh connection each round: what the last one's sender still held
      // may arrive late (the receiver's window update waits).
      Pair p = co_await connected_pair(l);
      small_buffers(p.server);
      small_buffers(p.client);
      // The bytes live on the heap, as a response body would; after the task
      // is gone they are overwritten, as reused memory would be.
      auto data = std::make_unique<std::string>(make_pattern(round, kSize));
      Task<> t = send_from(p.server, data->data(), kSize);
      t.handle().resume();  // the send is in flight: the peer does not read
      co_await nap(20ms);
      t = Task<>();  // its frame destroyed while the kernel still has the send
      std::memset(data->data(), 0xEE, kSize);
      // read_raw reads with plain syscalls (each one a return to user space, where task
      // work may run on the rungs without DEFER_TASKRUN) until nothing arrives for
      // `quiet`. The receiver's window opens slowly after a zero window: with
      // 100 ms the sender's retry is often not reached; 600 ms reaches it (checked
      // by reverting the driver's abandon to "queue a cancel": junk bytes arrived
      // on both rungs without DEFER_TASKRUN, never with it).
      const std::string got = read_raw(p.client.native_handle(), 600ms);
      data.reset();
      CHECK(got.size() > 0);
      CHECK(got.size() < kSize);
      const std::string want = make_pattern(round, got.size());
      std::size_t bad = 0;
      while (bad < got.size() && got[bad] == want[bad]) ++bad;
      CHECK_MESSAGE(bad == got.size(), "round " << round << ": byte " << bad << " of " << got.size() << " is not the sent data: " << int(static_cast<unsigned char>(got[bad])) << " for " << int(static_cast<unsigned char>(want[bad])));
      if (bad != got.size()) break;
    }
    if constexpr (B::backend == Backend::uring) CHECK(rt.stats().abandon_waits >= 1);
  });
}

TEST_CASE_TEMPLATE("rungs: a send cancelled or its stream closed mid-flight on every rung: the peer gets a prefix, then EOF", B,
                   CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    check_rung<B>(rt);
    Listener l = test::listen_local();
    Pair p = co_await connected_pair(l);
    small_buffers(p.server);
    small_buffers(p.client);
    const std::string big = make_pattern(9, 4 << 20);
    auto r = co_await with_timeout(p.server.send_all(bytes_of(big)), 30ms);
    CHECK(!r);
    p.server.close();
    std::string got;
    CHECK(co_await recv_to_eof(p.client, &got));
    CHECK(got.size() < big.size());
    CHECK(got == big.substr(0, got.size()));
  });
}

TEST_CASE_TEMPLATE("rungs: a completion queue that overflows loses nothing, and cq_overflows counts the completions", B,
                   ::coring::test::Uring, ::coring::test::UringNoDefer) {
  RuntimeOptions o;
  o.sq_entries = 16;
  o.cq_entries = 32;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        constexpr int kPairs = 200;
        std::vector<Pair> pairs;
        for (int i = 0; i < kPairs; ++i) pairs.push_back(co_await connected_pair(l));
        const uint64_t before = rt.stats().cq_overflows;
        // kPairs sends in one turn: their completions cannot all fit in 32 entries.
        std::vector<Task<Result<std::size_t>>> sends;
        const std::string msg = "overflow";
        auto one = [](Stream& s, const std::string& m) -> Task<Result<std::size_t>> { co_return co_await s.send_all(m); };
        for (auto& p : pairs) sends.push_back(one(p.server, msg));
        auto results = co_await when_all(std::move(sends));
        int ok = 0;
        for (auto& r : results) ok += r && *r == msg.size();
        CHECK(ok == kPairs);
        for (auto& p : pairs) {
          std::string got;
          while (got.size() < msg.size()) {
            auto b = co_await p.client.recv();
            REQUIRE(b);
            REQUIRE(!b->empty());
            got.append(b->view());
          }
          CHECK(got == msg);
        }
        const uint64_t counted = rt.stats().cq_overflows - before;
        MESSAGE("cq_overflows: " << counted);
        // Completions (about kPairs - 32 here), not loop turns (a few).
        CHECK(counted >= kPairs / 2);
        CHECK(counted <= kPairs + 8);
      },
      o);
}

// Found in review: UringDriver::abandon() asks posted(s) whether the op's final
// CQE is already in the CQ. posted() scanned from the published CQ head, and
// inside reap() that range still holds the CQEs dispatched earlier in the batch. A slot freed by one of
// them (slots_.put, LIFO) is the very slot the next operation takes, so a send
// started and abandoned from a task that the CQE resumed finds "its" final CQE
// (the previous owner's), and abandon() returns at once: nothing cancelled, nothing
// submitted. The send's SQE stays in the SQ and is submitted by the next wait(),
// after the owner's memory is gone: the kernel sends whatever is there then.
TEST_CASE_TEMPLATE("rungs: a send abandoned from a task resumed by a send CQE (its slot just reused) never sends freed bytes",
                   B, CORING_RUNGS) {
  test::run_on<B>([](Runtime& rt) -> Task<> {
    Listener l = test::listen_local();
    Pair a = co_await connected_pair(l);
    Pair b = co_await connected_pair(l);
    std::string data = make_pattern(4, 1000);
    const std::string want = data;
    const uint64_t waits_before = rt.stats().abandon_waits;
    // On io_uring this resumes us from reap()'s dispatch of the send's CQE,
    // whose slot was just put back on the free list.
    auto r = co_await a.server.send_all(std::string_view("x"));
    REQUIRE(r);
    Task<> t = send_from(b.server, data.data(), data.size());
    t.handle().resume();  // in flight: on io_uring its SQE is queued, with the slot just freed
    t = Task<>();         // its frame destroyed: Driver::abandon must leave the kernel nothing of `data`
    std::memset(data.data(), 0xEE, data.size());  // the owner's memory reused, as the contract allows
    co_await nap(50ms);                           // the next turns submit whatever is left in the SQ
    b.server.close();
    std::string got;
    CHECK(co_await recv_to_eof(b.client, &got));
    std::size_t bad = 0;
    while (bad < got.size() && got[bad] == want[bad]) ++bad;
    CHECK_MESSAGE(bad == got.size(), "byte " << bad << " of " << got.size() << " is not the sent data (0xEE: the memory after abandon() returned)");
    if constexpr (B::backend == Backend::uring) CHECK(rt.stats().abandon_waits > waits_before);
  });
}
