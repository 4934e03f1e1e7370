// Ring set-up with graceful degradation, buffer-ring registration and the start-up self-test.
#include "runtime/uring/ring_setup.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace coring::detail::uring {

TurnedOff features_turned_off(const std::string& names) {
  std::string all = names;
  if (const char* env = std::getenv("CORING_URING_OFF")) all += std::string(",") + env;
  TurnedOff off;
  auto note = [&](const char* name) {
    if (off.names.find(name) != std::string::npos) return;
    if (!off.names.empty()) off.names += ',';
    off.names += name;
  };
  std::size_t i = 0;
  while (i <= all.size()) {
    std::size_t j = all.find(',', i);
    if (j == std::string::npos) j = all.size();
    const std::string name = all.substr(i, j - i);
    const bool every = name == "all";
    if (every || name == "defer_taskrun") off.setup |= IORING_SETUP_DEFER_TASKRUN, note("defer_taskrun");
    if (every || name == "single_issuer")  // DEFER_TASKRUN needs it
      off.setup |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, note("single_issuer");
    if (every || name == "coop_taskrun") off.setup |= IORING_SETUP_COOP_TASKRUN, note("coop_taskrun");
    if (every || name == "submit_all") off.setup |= IORING_SETUP_SUBMIT_ALL, note("submit_all");
    if (every || name == "registered_ring_fd") off.ring_fd = true, note("registered_ring_fd");
    if (every || name == "cqe_skip") off.cqe_skip = true, note("cqe_skip");
    if (every || name == "recv_byte_limit") off.recv_limit = true, note("recv_byte_limit");
    if (every || name == "msg_ring") off.msg_ring = true, note("msg_ring");
    if (every || name == "recv_bundle") off.bundle = true, note("recv_bundle");
    if (every || name == "incremental_buffers") off.incremental = true, note("incremental_buffers");
    if (every || name == "fixed_buffers") off.fixed_buffers = true, note("fixed_buffers");
    if (every || name == "send_zc") off.send_zc = true, note("send_zc");
    if (every || name == "min_wait") off.min_wait = true, note("min_wait");
    i = j + 1;
  }
  return off;
}

int setup_ring(io_uring& ring, unsigned sq_entries, unsigned cq_entries, const TurnedOff& off, RingSetup& out,
               std::string& why) {
  // From the best set (kernel 6.1+) down to the plain ring; EINVAL means "flag unknown".
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SUBMIT_ALL,
      0,
  };
  int r = -EINVAL;
  for (unsigned flags : attempts) {
    flags &= ~off.setup;
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    r = io_uring_queue_init_params(sq_entries, &ring, &p);
    if (r == 0) {
      out.flags = p.flags;
      out.features = p.features;
      break;
    }
    if (r != -EINVAL) break;
  }
  if (r < 0) {
    why = std::string("io_uring_setup failed: ") + std::strerror(-r);
    if (r == -EPERM)
      why += " (blocked by a seccomp profile, e.g. Docker's default, or by sysctl kernel.io_uring_disabled)";
    else if (r == -ENOSYS)
      why += " (kernel built without io_uring, or a sandbox such as gVisor)";
    else if (r == -ENOMEM)
      why += " (RLIMIT_MEMLOCK too low for the rings; raise LimitMEMLOCK)";
    return r;
  }
  out.off = off.names;
  out.turned_off = off;
  if (off.cqe_skip) out.features &= ~IORING_FEAT_CQE_SKIP;
  out.registered_fd = !off.ring_fd && io_uring_register_ring_fd(&ring) == 1;
  out.min_wait = !off.min_wait && (out.features & IORING_FEAT_MIN_TIMEOUT) && (out.features & IORING_FEAT_EXT_ARG);
  return 0;
}

io_uring_buf_ring* register_buf_ring(io_uring& ring, unsigned entries, uint16_t bgid, std::string& why,
                                     unsigned flags, int* err) {
  const std::size_t bytes = std::size_t(entries) * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    why = "cannot map the buffer ring";
    return nullptr;
  }
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = entries;
  reg.bgid = bgid;
  reg.pad = static_cast<uint16_t>(flags);  // the kernel's io_uring_buf_reg::flags
  int r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r < 0) {
    ::munmap(mem, bytes);
    if (err) *err = r;
    why = std::string("provided buffer rings unavailable (need Linux 5.19): ") + std::strerror(-r);
    return nullptr;
  }
  io_uring_buf_ring_init(br);
  return br;
}

void free_buf_ring(io_uring_buf_ring* br, unsigned entries) noexcept {
  if (br) ::munmap(br, std::size_t(entries) * sizeof(io_uring_buf));
}

bool self_test_multishot_recv(io_uring& ring, uint16_t bgid, std::string& why, void (*recycle)(void*, uint16_t),
                              void* ctx) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return true;  // cannot test: assume fine
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  set_buf_group(sqe, bgid);
  io_uring_sqe_set_data64(sqe, 1);
  (void)!::write(sv[1], "x", 1);
  io_uring_submit_and_wait(&ring, 1);
  bool ok = false;
  int res = 0;
  io_uring_cqe* cqe;
  while (io_uring_peek_cqe(&ring, &cqe) == 0) {
    if (cqe->user_data == 1) {
      res = cqe->res;
      if (cqe->flags & IORING_CQE_F_BUFFER) recycle(ctx, static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
      if (cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE)) ok = true;
    }
    io_uring_cqe_seen(&ring, cqe);
  }
  // Tear the test down: cancel the multishot and wait for its final completion.
  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_cancel64(sqe, 1, 0);
  io_uring_sqe_set_data64(sqe, 2);
  ::close(sv[1]);
  for (int seen = 0; seen < 8;) {
    if (io_uring_submit_and_wait(&ring, 1) < 0) break;
    bool final_seen = false;
    while (io_uring_peek_cqe(&ring, &cqe) == 0) {
      if (cqe->user_data == 1) {
        if (cqe->flags & IORING_CQE_F_BUFFER)
          recycle(ctx, static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
        if (!(cqe->flags & IORING_CQE_F_MORE)) final_seen = true;
      }
      io_uring_cqe_seen(&ring, cqe);
      ++seen;
    }
    if (final_seen || !ok) break;
  }
  ::close(sv[0]);
  if (!ok) why = "multishot recv with provided buffers failed (need Linux 6.0): res " + std::to_string(res);
  return ok;
}

bool probe_send_fixed(io_uring& ring, const void* buf0) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return false;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_send(sqe, sv[0], buf0, 1, MSG_NOSIGNAL);
  sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
  sqe->buf_index = 0;
  io_uring_sqe_set_data64(sqe, 5);
  bool ok = false;
  if (io_uring_submit_and_wait(&ring, 1) >= 0) {
    io_uring_cqe* cqe;
    while (io_uring_peek_cqe(&ring, &cqe) == 0) {
      if (cqe->user_data == 5) ok = cqe->res == 1;
      io_uring_cqe_seen(&ring, cqe);
    }
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return ok;
}

bool opcode_supported(io_uring& ring, int op) {
  io_uring_probe* p = io_uring_get_probe_ring(&ring);
  if (!p) return false;
  const bool ok = io_uring_opcode_supported(p, op);
  io_uring_free_probe(p);
  return ok;
}

bool probe_multishot_limit(io_uring& ring, uint16_t bgid, void (*recycle)(void*, uint16_t), void* ctx) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return false;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  set_buf_group(sqe, bgid);
  sqe->file_index = 1;  // total byte limit: one byte, then the request ends
  io_uring_sqe_set_data64(sqe, 3);
  (void)!::write(sv[1], "xy", 2);
  bool limited = false;
  for (int round = 0; round < 4; ++round) {
    if (io_uring_submit_and_wait(&ring, 1) < 0) break;
    io_uring_cqe* cqe;
    bool final_seen = false;
    while (io_uring_peek_cqe(&ring, &cqe) == 0) {
      if (cqe->user_data == 3) {
        if (cqe->flags & IORING_CQE_F_BUFFER)
          recycle(ctx, static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
        if (!(cqe->flags & IORING_CQE_F_MORE)) {
          final_seen = true;
          limited = cqe->res > 0;  // ended after its limit; EINVAL on kernels without it
        }
      }
      io_uring_cqe_seen(&ring, cqe);
    }
    if (final_seen) break;
    if (round == 1) {  // still armed: the limit was ignored; cancel and finish
      sqe = io_uring_get_sqe(&ring);
      io_uring_prep_cancel64(sqe, 3, 0);
      io_uring_sqe_set_data64(sqe, 4);
    }
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return limited;
}

std::vector<BackendFeature> feature_list(const RingSetup& s) {
  const TurnedOff& o = s.turned_off;
  std::vector<BackendFeature> v;
  auto add = [&](const char* name, bool on, bool by_option, std::string why) {
    v.push_back({name, on, on ? std::string() : by_option ? std::string("off by option") : std::move(why)});
  };
  auto refused = [](const char* linux) { return std::string("the kernel refused it (needs Linux ") + linux + ")"; };
  add("single_issuer", s.flags & IORING_SETUP_SINGLE_ISSUER, o.setup & IORING_SETUP_SINGLE_ISSUER, refused("6.0"));
  add("defer_taskrun", s.flags & IORING_SETUP_DEFER_TASKRUN, o.setup & IORING_SETUP_DEFER_TASKRUN, refused("6.1"));
  add("coop_taskrun", s.flags & IORING_SETUP_COOP_TASKRUN, o.setup & IORING_SETUP_COOP_TASKRUN,
      (s.flags & IORING_SETUP_DEFER_TASKRUN) ? std::string("not needed: defer_taskrun is on") : refused("5.19"));
  add("submit_all", s.flags & IORING_SETUP_SUBMIT_ALL, o.setup & IORING_SETUP_SUBMIT_ALL, refused("5.18"));
  add("ext_arg", s.features & IORING_FEAT_EXT_ARG, false, "the kernel lacks it (needs Linux 5.11)");
  add("cqe_skip", s.features & IORING_FEAT_CQE_SKIP, o.cqe_skip, "the kernel lacks it (needs Linux 5.17)");
  add("registered_ring_fd", s.registered_fd, o.ring_fd, refused("5.18"));
  add("recv_byte_limit", s.recv_limit, o.recv_limit,
      "the kernel lacks it: a multishot recv ignored or refused its byte limit (needs Linux 6.16)");
  add("msg_ring", s.msg_ring, o.msg_ring, "the kernel lacks IORING_OP_MSG_RING (needs Linux 5.18)");
  add("send_zc", s.send_zc, o.send_zc, "the kernel lacks IORING_OP_SEND_ZC with usage reports (needs Linux 6.2)");
  add("min_wait", s.min_wait, o.min_wait, "the kernel lacks IORING_FEAT_MIN_TIMEOUT (needs Linux 6.12)");
  for (const char* required : {"buf_ring", "multishot_accept", "multishot_recv"}) add(required, true, false, {});
  // Used only where their canary passed. Incremental buffers give one piece
  // of a large buffer per receive; bundles (several whole buffers per
  // completion, not contiguous) are not used by the receive path.
  auto canary = [&](const char* name, const Canary& c, bool by_option, bool used, std::string passed_why) {
    std::string why = c.verdict == Canary::passed         ? std::move(passed_why)
                      : c.verdict == Canary::kernel_lacks ? "the kernel lacks it: " + c.detail
                                                          : "canary failed: " + c.detail;
    add(name, used, by_option, std::move(why));
  };
  canary("recv_bundle", s.bundle, o.bundle, false,
         "canary passed; not used: a bundle's buffers are not contiguous, and incremental buffers already give one "
         "piece per message");
  canary("incremental_buffers", s.incremental, o.incremental, s.incremental_used, s.incremental_why);
  // Measured on a branch (fixed14) and left out: docs/proactor-vs-reactor.md.
  add("direct_descriptors", false, false,
      "not used: accepted sockets in the ring's file table measured no gain here (64 B echo, coring-kv -P 1)");
  return v;
}

std::string describe_features(const std::vector<BackendFeature>& list, const std::string& off_by_option) {
  std::string on, off;
  for (const BackendFeature& f : list) {
    if (f.on) {
      if (!on.empty()) on += ' ';
      on += f.name;
    } else if (f.why_off != "off by option") {
      if (!off.empty()) off += "; ";
      off += f.name + ": " + f.why_off;
    }
  }
  if (!off_by_option.empty()) on += " (off by option: " + off_by_option + ")";
  if (!off.empty()) on += " (off: " + off + ")";
  return on;
}

}  // namespace coring::detail::uring
