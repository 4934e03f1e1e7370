// The io_uring feature canaries (receive bundles, incremental buffers): each run on a socketpair, each forced to fail, and what describe() and features() then say.
#include <cstdlib>
#include <string>

#include "runtime/uring/canaries.hpp"
#include "runtime/uring/ring_setup.hpp"
#include "support.hpp"

using namespace coring;
namespace uring = coring::detail::uring;

namespace {

constexpr uint16_t kGroup = 7;

/// A plain ring for the canaries, as a shard's ring is when they run.
struct Ring {
  io_uring ring{};
  bool ok = false;
  Ring() { ok = io_uring_queue_init(64, &ring, 0) == 0; }
  ~Ring() {
    if (ok) io_uring_queue_exit(&ring);
  }
  unsigned features() const { return ring.features; }
};

/// The feature of that name in `list` (an empty record if absent).
BackendFeature find(const std::vector<BackendFeature>& list, const std::string& name) {
  for (const BackendFeature& f : list)
    if (f.name == name) return f;
  return {};
}

/// Sets an environment variable for one scope.
struct Env {
  const char* name;
  Env(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~Env() { ::unsetenv(name); }
};

std::vector<BackendFeature> uring_features(std::string& described) {
  RuntimeOptions o;
  o.backend = Backend::uring;
  o.shards = 1;
  Runtime rt(o);
  REQUIRE(rt.backend() == Backend::uring);
  described = rt.describe();
  return rt.features();
}

}  // namespace

TEST_CASE("canary: incremental buffer consumption: pieces of one buffer in order, lengths exact, BUF_MORE until it is full") {
  Ring r;
  REQUIRE(r.ok);
  const uring::Canary c = uring::canary_incremental(r.ring, kGroup, false);
  INFO(c.detail);
  // (Linux 6.12+ has it; an older kernel must say so rather than fail.)
  CHECK((c.verdict == uring::Canary::passed || c.verdict == uring::Canary::kernel_lacks));
  if (c.verdict == uring::Canary::kernel_lacks) CHECK(c.detail.find("needs Linux 6.12") != std::string::npos);
  // Its buffer ring is gone: the same group registers again.
  CHECK(uring::canary_incremental(r.ring, kGroup, false).verdict == c.verdict);
}

TEST_CASE("canary: a kernel that clears BUF_MORE too early fails the incremental canary, naming the completion") {
  Ring r;
  REQUIRE(r.ok);
  const uring::Canary c = uring::canary_incremental(r.ring, kGroup, true);
  if (uring::canary_incremental(r.ring, kGroup, false).verdict == uring::Canary::kernel_lacks) {
    CHECK(c.verdict == uring::Canary::kernel_lacks);
  } else {
    CHECK(c.verdict == uring::Canary::failed);
    CHECK(c.detail == "completion 1: BUF_MORE clear with 54 bytes of buffer 0 left");
  }
}

TEST_CASE("canary: receive bundles: buffers in ring order, bytes exact, no BUF_MORE") {
  Ring r;
  REQUIRE(r.ok);
  const uring::Canary c = uring::canary_bundle(r.ring, kGroup, r.features(), false);
  INFO(c.detail);
  CHECK((c.verdict == uring::Canary::passed || c.verdict == uring::Canary::kernel_lacks));
  if (c.verdict == uring::Canary::kernel_lacks) CHECK(c.detail.find("needs Linux 6.10") != std::string::npos);
  CHECK(uring::canary_bundle(r.ring, kGroup, r.features(), false).verdict == c.verdict);
  // Without the kernel's feature bit the canary does not even try.
  CHECK(uring::canary_bundle(r.ring, kGroup, 0, false).verdict == uring::Canary::kernel_lacks);
}

TEST_CASE("canary: a kernel that fills bundled buffers out of order fails the bundle canary") {
  Ring r;
  REQUIRE(r.ok);
  const uring::Canary c = uring::canary_bundle(r.ring, kGroup, r.features(), true);
  if (uring::canary_bundle(r.ring, kGroup, r.features(), false).verdict == uring::Canary::kernel_lacks) {
    CHECK(c.verdict == uring::Canary::kernel_lacks);
  } else {
    CHECK(c.verdict == uring::Canary::failed);
    INFO(c.detail);
    CHECK(c.detail.find("buffers out of order") != std::string::npos);
  }
}

TEST_CASE("canary: describe() and features() name every optional feature, on or with why it is off") {
  std::string d;
  const std::vector<BackendFeature> list = uring_features(d);
  INFO(d);
  for (const char* name : {"single_issuer", "defer_taskrun", "coop_taskrun", "submit_all", "ext_arg", "cqe_skip",
                           "registered_ring_fd", "recv_byte_limit", "msg_ring", "recv_bundle", "incremental_buffers",
                           "direct_descriptors"}) {
    const BackendFeature f = find(list, name);
    CHECK_MESSAGE(f.name == name, name << " is not listed");
    CHECK_MESSAGE(f.on == f.why_off.empty(), name);
    // In use: named before the off clauses; off: named in them with its reason.
    const std::string in_use = d.substr(0, d.find(" (off"));
    if (f.on) CHECK_MESSAGE((" " + in_use + " ").find(std::string(" ") + name + " ") != std::string::npos, name);
    else CHECK_MESSAGE(d.find(std::string(name) + ": " + f.why_off) != std::string::npos, name);
  }
  for (const char* name : {"recv_bundle", "incremental_buffers"}) {
    const BackendFeature f = find(list, name);
    const bool known =
        f.on || f.why_off.rfind("canary passed", 0) == 0 || f.why_off.rfind("the kernel lacks it", 0) == 0;
    CHECK_MESSAGE(known, name << ": " << f.why_off);
  }
  // Where its canary passes, the receive path takes pieces of large buffers.
  Ring r;
  REQUIRE(r.ok);
  if (uring::canary_incremental(r.ring, kGroup, false).verdict == uring::Canary::passed)
    CHECK(find(list, "incremental_buffers").on);
}

TEST_CASE("canary: a forced canary failure turns the feature off and says why, in describe() and features()") {
  Env fail("CORING_URING_CANARY_FAIL", "recv_bundle,incremental_buffers");
  std::string d;
  const std::vector<BackendFeature> list = uring_features(d);
  INFO(d);
  Ring r;
  REQUIRE(r.ok);
  if (uring::canary_bundle(r.ring, kGroup, r.features(), false).verdict == uring::Canary::passed) {
    const BackendFeature f = find(list, "recv_bundle");
    CHECK_FALSE(f.on);
    CHECK(f.why_off.rfind("canary failed: ", 0) == 0);
    CHECK(f.why_off.find("buffers out of order") != std::string::npos);
    CHECK(d.find("recv_bundle: canary failed: ") != std::string::npos);
  }
  if (uring::canary_incremental(r.ring, kGroup, false).verdict == uring::Canary::passed) {
    const BackendFeature f = find(list, "incremental_buffers");
    CHECK_FALSE(f.on);
    CHECK(f.why_off == "canary failed: completion 1: BUF_MORE clear with 54 bytes of buffer 0 left");
    CHECK(d.find("incremental_buffers: canary failed: completion 1: BUF_MORE clear") != std::string::npos);
  }
}

TEST_CASE("canary: features turned off by option are not tried, and say so") {
  Env off("CORING_URING_OFF", "recv_bundle,incremental_buffers");
  std::string d;
  const std::vector<BackendFeature> list = uring_features(d);
  INFO(d);
  CHECK(find(list, "recv_bundle").why_off == "off by option");
  CHECK(find(list, "incremental_buffers").why_off == "off by option");
  CHECK(d.find("(off by option: recv_bundle,incremental_buffers)") != std::string::npos);
}

TEST_CASE("canary: epoll reports large reads, in use or why off") {
  RuntimeOptions o;
  o.backend = Backend::epoll;
  o.shards = 1;
  {
    Runtime rt(o);
    const std::vector<BackendFeature> list = rt.features();
    REQUIRE(list.size() == 1);
    CHECK(list[0].name == "large_reads");
    CHECK(list[0].on);
    CHECK(rt.describe().find("large_reads of 65536 B buffers") != std::string::npos);
  }
  Env off("CORING_LARGE_BUFFERS", "off");
  Runtime rt(o);
  const BackendFeature f = find(rt.features(), "large_reads");
  CHECK_FALSE(f.on);
  CHECK(f.why_off.rfind("off by option", 0) == 0);
  CHECK(rt.describe().find("large_reads off: off by option") != std::string::npos);
}
