// Review of the driver-owned socket records / awaiter-rule refactor: reproducers of defects found.
#include <cstring>
#include <string>

#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

namespace {

Task<> send_bytes(Stream& s, const char* p, std::size_t n) {
  (void)co_await s.send_all(std::span(reinterpret_cast<const std::byte*>(p), n));
}

}  // namespace

// UringDriver::abandon() asks posted(s) whether the op's final CQE is already in
// the CQ. posted() scans from the published CQ head, and inside reap() that range
// still holds the CQEs dispatched earlier in the batch. A slot freed by one of
// them (slots_.put, LIFO) is the very slot the next operation takes, so a send
// started and abandoned from a task that the CQE resumed finds "its" final CQE
// (the previous owner's), and abandon() returns at once: nothing cancelled, nothing
// submitted. The send's SQE stays in the SQ and is submitted by the next wait(),
// after the owner's memory is gone: the kernel sends whatever is there then.
TEST_CASE_TEMPLATE("review4: a send abandoned from a task resumed by a send CQE (its slot just reused) never sends freed bytes",
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
    Task<> t = send_bytes(b.server, data.data(), data.size());
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
