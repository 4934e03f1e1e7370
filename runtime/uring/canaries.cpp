// Start-up canaries: receive bundles and incremental buffers on a socketpair, judged before the driver may use them.
#include "runtime/uring/canaries.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/net/buffer_pool.hpp"
#include "runtime/uring/ring_setup.hpp"

namespace coring::detail::uring {
namespace {

constexpr uint64_t kCanaryTag = 0xC0A1'CA4A'4100'0001ULL;

/// A socketpair, a canary buffer ring and its buffers; all released at scope end.
struct Bench {
  io_uring& ring;
  uint16_t bgid;
  unsigned entries;
  uint32_t size;
  int sv[2] = {-1, -1};
  io_uring_buf_ring* br = nullptr;
  std::vector<unsigned char> mem;

  Bench(io_uring& r, uint16_t g, unsigned n, uint32_t sz) : ring(r), bgid(g), entries(n), size(sz), mem(n * sz, 0) {}
  ~Bench() {
    if (br) {
      io_uring_unregister_buf_ring(&ring, bgid);
      free_buf_ring(br, entries);
    }
    for (int fd : sv)
      if (fd >= 0) ::close(fd);
  }
  unsigned char* buf(unsigned bid) { return mem.data() + std::size_t(bid) * size; }
  /// Gives the buffers to the ring in the order of `bids`.
  void provide(const std::vector<uint16_t>& bids) {
    auto* e = reinterpret_cast<BufRingEntry*>(br);
    for (unsigned i = 0; i < bids.size(); ++i) {
      e[i].addr = reinterpret_cast<uint64_t>(buf(bids[i]));
      e[i].len = size;
      e[i].bid = bids[i];
    }
    __atomic_store_n(&e[0].resv, static_cast<uint16_t>(bids.size()), __ATOMIC_RELEASE);
  }
  bool send(const unsigned char* p, std::size_t n) { return ::write(sv[1], p, n) == static_cast<ssize_t>(n); }
  /// One single-shot recv with a provided buffer; false when it did not
  /// complete within about a second (then it is cancelled: a kernel that
  /// lost the bytes must not hang the start-up).
  bool recv(bool bundle, int32_t& res, uint32_t& flags) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (!sqe) return false;
    io_uring_prep_recv(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    set_buf_group(sqe, bgid);
    if (bundle) sqe->ioprio |= IORING_RECVSEND_BUNDLE;
    io_uring_sqe_set_data64(sqe, kCanaryTag);
    // (Every CQE of the canary is consumed here: the driver's reap would
    // read a stray one's user_data as its own.)
    bool seen = false, cancelled = false, cancel_seen = false;
    for (int round = 0; round < 20 && (!seen || cancelled != cancel_seen); ++round) {
      if (round == 5) {  // a second gone: give up on it
        io_uring_sqe* c = io_uring_get_sqe(&ring);
        if (!c) break;
        io_uring_prep_cancel64(c, kCanaryTag, 0);
        io_uring_sqe_set_data64(c, kCanaryTag + 1);
        cancelled = true;
      }
      __kernel_timespec ts{0, 200'000'000};
      io_uring_cqe* cqe = nullptr;
      (void)io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
      while (io_uring_peek_cqe(&ring, &cqe) == 0) {
        if (cqe->user_data == kCanaryTag) {
          res = cqe->res;
          flags = cqe->flags;
          seen = true;
        } else if (cqe->user_data == kCanaryTag + 1) {
          cancel_seen = true;
        }
        io_uring_cqe_seen(&ring, cqe);
      }
    }
    return seen && !cancelled;
  }
};

// Byte `i` of a canary's stream: a pattern no buffer's zeroes or a shifted copy could match.
unsigned char pattern(std::size_t i) { return static_cast<unsigned char>(1 + (i * 7 + i / 251) % 251); }

std::string where(std::size_t n) { return "completion " + std::to_string(n + 1) + ": "; }

Canary fail(std::string what) { return {Canary::failed, std::move(what)}; }

// The socketpair and the ring; a refusal to register `flags` is the kernel lacking the feature.
bool open_bench(Bench& b, unsigned flags, const char* need, Canary& out) {
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b.sv) < 0) {
    out = fail(std::string("no socketpair: ") + std::strerror(errno));
    return false;
  }
  std::string why;
  int err = 0;
  b.br = register_buf_ring(b.ring, b.entries, b.bgid, why, flags, &err);
  if (!b.br) {
    out = {err == -EINVAL ? Canary::kernel_lacks : Canary::failed,
           (flags ? std::string("registering a ring with IOU_PBUF_RING_INC: ") + std::strerror(-err) + need : why)};
    return false;
  }
  return true;
}

}  // namespace

Canary canary_incremental(io_uring& ring, uint16_t bgid, bool broken) {
  Bench b(ring, bgid, 2, 64);
  Canary out;
  if (!open_bench(b, IOU_PBUF_RING_INC, " (needs Linux 6.12)", out)) return out;
  b.provide({0, 1});
  struct Step {
    uint32_t len;
    uint16_t bid;
    uint32_t offset;
    bool more;  // room left in the buffer afterwards
  };
  const Step steps[] = {{10, 0, 0, true}, {20, 0, 10, true}, {34, 0, 30, false}, {5, 1, 0, true}};
  std::size_t sent = 0;
  for (std::size_t n = 0; n < std::size(steps); ++n) {
    const Step& s = steps[n];
    unsigned char bytes[64];
    for (uint32_t i = 0; i < s.len; ++i) bytes[i] = pattern(sent + i);
    if (!b.send(bytes, s.len)) return fail("socketpair write failed");
    int32_t res = 0;
    uint32_t flags = 0;
    if (!b.recv(false, res, flags)) return fail(where(n) + "no completion");
    if (broken && n == 0) flags &= ~IORING_CQE_F_BUF_MORE;
    if (res < 0) return fail(where(n) + "recv failed: " + std::strerror(-res));
    if (!(flags & IORING_CQE_F_BUFFER)) return fail(where(n) + "no buffer");
    const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    if (static_cast<uint32_t>(res) != s.len)
      return fail(where(n) + std::to_string(res) + " bytes for " + std::to_string(s.len) + " sent");
    if (bid != s.bid) return fail(where(n) + "buffer " + std::to_string(bid) + " for " + std::to_string(s.bid));
    if (bool(flags & IORING_CQE_F_BUF_MORE) != s.more)
      return fail(where(n) + (s.more ? "BUF_MORE clear" : "BUF_MORE set") + " with " +
                  std::to_string(64 - s.offset - s.len) + " bytes of buffer " + std::to_string(bid) + " left");
    if (std::memcmp(b.buf(bid) + s.offset, bytes, s.len) != 0)
      return fail(where(n) + "bytes not at offset " + std::to_string(s.offset) + " of buffer " + std::to_string(bid));
    sent += s.len;
  }
  return {Canary::passed, {}};
}

Canary canary_bundle(io_uring& ring, uint16_t bgid, unsigned kernel_features, bool broken) {
  if (!(kernel_features & IORING_FEAT_RECVSEND_BUNDLE))
    return {Canary::kernel_lacks, "no IORING_FEAT_RECVSEND_BUNDLE (needs Linux 6.10)"};
  constexpr uint32_t kSize = 16;
  Bench b(ring, bgid, 8, kSize);
  Canary out;
  if (!open_bench(b, 0, "", out)) return out;
  const std::vector<uint16_t> order = {5, 2, 7, 0, 3, 6, 1, 4};  // ring order: not the ids' order
  b.provide(order);
  std::size_t pos = 0;   // next ring entry the kernel should take
  std::size_t done = 0;  // stream bytes checked
  std::size_t n = 0;     // completions
  for (std::size_t burst : {std::size_t(40), std::size_t(10)}) {
    unsigned char bytes[64];
    for (std::size_t i = 0; i < burst; ++i) bytes[i] = pattern(done + i);
    if (!b.send(bytes, burst)) return fail("socketpair write failed");
    for (std::size_t got = 0; got < burst; ++n) {  // a kernel may split a burst: each part is checked
      int32_t res = 0;
      uint32_t flags = 0;
      if (!b.recv(true, res, flags)) return fail(where(n) + "no completion");
      if (res <= 0) return fail(where(n) + (res < 0 ? std::string("recv failed: ") + std::strerror(-res) : "EOF"));
      if (!(flags & IORING_CQE_F_BUFFER)) return fail(where(n) + "no buffer");
      if (flags & IORING_CQE_F_BUF_MORE) return fail(where(n) + "BUF_MORE set on a ring without IOU_PBUF_RING_INC");
      if (got + static_cast<std::size_t>(res) > burst)
        return fail(where(n) + std::to_string(res) + " bytes where " + std::to_string(burst - got) + " were left");
      const std::size_t nbufs = (static_cast<std::size_t>(res) + kSize - 1) / kSize;
      if (pos + nbufs > order.size()) return fail(where(n) + "more buffers than the ring held");
      const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
      if (bid != order[pos])
        return fail(where(n) + "buffer " + std::to_string(bid) + " where ring order gives " + std::to_string(order[pos]));
      if (broken && nbufs >= 2) {  // as a kernel that filled them out of order would leave them
        unsigned char tmp[kSize];
        std::memcpy(tmp, b.buf(order[pos]), kSize);
        std::memcpy(b.buf(order[pos]), b.buf(order[pos + 1]), kSize);
        std::memcpy(b.buf(order[pos + 1]), tmp, kSize);
      } else if (broken) {  // one buffer: as if another buffer's bytes had landed in it
        b.buf(order[pos])[0] ^= 0xFF;
      }
      for (std::size_t k = 0; k < nbufs; ++k) {
        const std::size_t len = std::min<std::size_t>(kSize, static_cast<std::size_t>(res) - k * kSize);
        if (std::memcmp(b.buf(order[pos + k]), bytes + got + k * kSize, len) != 0)
          return fail(where(n) + "bytes " + std::to_string(done + got + k * kSize) + ".." +
                      std::to_string(done + got + k * kSize + len - 1) + " not in buffer " +
                      std::to_string(order[pos + k]) + " (ring entry " + std::to_string(pos + k) +
                      "): buffers out of order");
      }
      pos += nbufs;
      got += static_cast<std::size_t>(res);
    }
    done += burst;
  }
  return {Canary::passed, {}};
}

bool canary_forced_to_fail(const char* name) {
  const char* env = std::getenv("CORING_URING_CANARY_FAIL");
  if (!env) return false;
  const std::string_view all(env), want(name);
  for (std::size_t i = 0; i <= all.size();) {
    std::size_t j = all.find(',', i);
    if (j == std::string_view::npos) j = all.size();
    if (all.substr(i, j - i) == want || all.substr(i, j - i) == "all") return true;
    i = j + 1;
  }
  return false;
}

}  // namespace coring::detail::uring
