// UringDriver: one ring per shard; multishot accept/recv on a provided-buffer ring, one submit per turn.
#include "runtime/uring/uring_driver.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <algorithm>
#include <vector>

#include "runtime/core/file_offload.hpp"
#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"
#include "runtime/core/socket_sendfile.hpp"
#include "runtime/uring/direct_sendfile.hpp"
#include "runtime/uring/ring_setup.hpp"
#include "runtime/uring/slots.hpp"

namespace coring::detail {
namespace {

using uring::Slot;
constexpr uint16_t kBufferGroup = 0;
constexpr uint16_t kCanaryGroup = 1;  // the canaries' own buffer ring, unregistered after them
// send_file: file -> pipe -> socket splices (true) or read into a buffer, then send (false).
// Splices measured 0.55-0.9x the server CPU per byte of read-then-send (docs/bytes.md).
constexpr bool kSpliceByDefault = true;

/// io_uring's record of a connected socket.
struct UringConn : Conn {
  using Conn::Conn;
  // (Bits of one byte: Conn's tail padding holds one byte, and a 105th byte would make the record 112.)
  bool starved : 1 = false;    // the buffer ring ran dry under it: re-armed when buffers return
  bool zc_copied : 1 = false;  // the kernel copied its zero-copy sends (loopback): it sends by copy
  bool nonblocking : 1 = false;  // O_NONBLOCK set, for send_file's sendfile(2) on the shard
  bool rx_stopping : 1 = false;  // its multishot recv reached the share: cancelled, its last CQE not yet in
  uint8_t seen_window : 3 = 0;   // the batched waits' window (mod 8) in which it last received
  Slot* recv_slot = nullptr;  // the armed multishot recv (Conn::rx_armed while set)
};
// Every idle connection has one: 104 bytes is a 112-byte malloc chunk (the bit fields above
// share the byte of Conn's tail padding).
static_assert(sizeof(UringConn) <= 104);

/// io_uring's record of a listening socket.
struct UringListener : ListenerState {
  using ListenerState::ListenerState;
  Slot* accept_slot = nullptr;  // the armed multishot accept
  bool armed = false;
  bool pausing = false;  // its cancel was requested: the accept queue is full
};

UringConn& as_uring(Conn& c) noexcept { return static_cast<UringConn&>(c); }
UringListener& as_uring(ListenerState& l) noexcept { return static_cast<UringListener&>(l); }

class UringDriver final : public Driver {
 public:
  explicit UringDriver(Loop& loop) : loop_(loop), pool_(loop.pool()) {}
  ~UringDriver() override {
    if (ring_ok_) io_uring_queue_exit(&ring_);
    for (UringListener* l : closing_) {
      while (!l->queue.empty()) ::close(l->queue.pop());
      ::close(l->fd);
      delete l;
    }
    uring::free_buf_ring(buf_ring_, pool_.count());
  }

  bool init(std::string& why) {
    const RuntimeOptions& o = loop_.options();
    const uring::TurnedOff off = uring::features_turned_off(o.uring_off);
    if (uring::setup_ring(ring_, o.sq_entries, o.cq_entries, off, setup_, why) < 0) return false;
    ring_ok_ = true;
    buf_ring_ = uring::register_buf_ring(ring_, pool_.count(), kBufferGroup, why);
    if (!buf_ring_) return false;
    pool_.use_ring(buf_ring_);
    auto recycle = [](void* ctx, uint16_t id) {
      auto* p = static_cast<BufferPool*>(ctx);
      (void)p->from_kernel(id, 1, false);
      p->release(id);
    };
    if (!uring::self_test_multishot_recv(ring_, kBufferGroup, why, recycle, &pool_)) return false;
    skip_success_ = (setup_.features & IORING_FEAT_CQE_SKIP) != 0;
    msg_ring_ = setup_.msg_ring = !off.msg_ring && uring::opcode_supported(ring_, IORING_OP_MSG_RING);
    // (CORING_MIN_WAIT_US: for the tests' batched-wait runs of other suites.)
    const char* env_wait = std::getenv("CORING_MIN_WAIT_US");
    const int64_t want_us = o.min_wait.count() > 0 ? o.min_wait.count() : env_wait ? std::atoll(env_wait) : 0;
    if (setup_.min_wait && want_us > 0) {
      min_wait_ns_ = std::min<int64_t>(want_us, 1'000'000) * 1000;
      min_wait_count_ = std::max(2u, o.min_wait_completions);
    }
    wake_slot_ = Slot{Slot::kWake, false, 0, &loop_, {nullptr}};
    wake_failed_slot_ = Slot{Slot::kWakeFailed, false, 0, &loop_, {nullptr}};
    auto* recv = reinterpret_cast<io_uring_sqe*>(recv_sqe_);
    setup_.recv_limit = !off.recv_limit && uring::probe_multishot_limit(ring_, kBufferGroup, recycle, &pool_);
    // Multishot receives with the kernel's byte limit where completions post
    // only inside io_uring_enter (DEFER_TASKRUN): arm_recv() says why.
    multishot_ = setup_.recv_limit && (setup_.flags & IORING_SETUP_DEFER_TASKRUN) != 0;
    if (multishot_) io_uring_prep_recv_multishot(recv, -1, nullptr, 0, 0);
    else io_uring_prep_recv(recv, -1, nullptr, 0, 0);
    recv->flags |= IOSQE_BUFFER_SELECT;
    uring::set_buf_group(recv, kBufferGroup);
    // Bundles and incremental buffers, each tried on a socketpair first
    // (bundles returned buffers out of order on some stable kernels).
    if (!off.bundle)
      setup_.bundle = uring::canary_bundle(ring_, kCanaryGroup, setup_.features, uring::canary_forced_to_fail("recv_bundle"));
    if (!off.incremental)
      setup_.incremental =
          uring::canary_incremental(ring_, kCanaryGroup, uring::canary_forced_to_fail("incremental_buffers"));
    for (const uring::Canary* c : {&setup_.bundle, &setup_.incremental})
      if (c->verdict == uring::Canary::failed && !c->detail.empty())  // (empty: not run, off by option)
        log(LogLevel::warn, "io_uring: a feature canary failed: {}", c->detail);
    if (setup_.incremental.verdict == uring::Canary::passed && !use_incremental(why)) return false;
    // File opcodes (Linux 5.6+); without them files go to the offload pool.
    file_ops_ = uring::opcode_supported(ring_, IORING_OP_OPENAT2) && uring::opcode_supported(ring_, IORING_OP_STATX) &&
                uring::opcode_supported(ring_, IORING_OP_READ) && uring::opcode_supported(ring_, IORING_OP_CLOSE);
    if (!file_ops_) log(LogLevel::info, "io_uring: no file opcodes (OPENAT2, STATX, READ, CLOSE); files use the offload pool");
    // send_file's default (docs/bytes.md has the measurements); the
    // environment variable CORING_SEND_FILE=sendfile|splice|read picks one. Without
    // IORING_OP_SPLICE (Linux < 5.7) it reads then sends. "sendfile" (the default) is
    // splice, but a piece whose pages are all cached (cachestat, Linux 6.5) goes by
    // sendfile(2) from the shard: io_uring runs every IORING_OP_SPLICE in an io-wq worker.
    const char* mode = std::getenv("CORING_SEND_FILE");
    const bool want_splice = mode ? std::string_view(mode) != "read" : kSpliceByDefault;
    splice_ = want_splice && uring::opcode_supported(ring_, IORING_OP_SPLICE);
    direct_sendfile_ = splice_ && (!mode || std::string_view(mode) == "sendfile") && uring::cachestat_available();
    fixed_off_ = off.fixed_buffers;
    zc_threshold_ = o.zero_copy_threshold;
    // CORING_SEND_ZC=always: keep sending zero-copy where the kernel copies
    // anyway (loopback), to measure the cost of the way itself.
    const char* zc_env = std::getenv("CORING_SEND_ZC");
    zc_always_ = zc_env && std::string_view(zc_env) == "always";
    setup_.send_zc = zc_ = !off.send_zc && zc_threshold_ > 0 && uring::opcode_supported(ring_, IORING_OP_SEND_ZC);
    sqes_counted_ = ring_.sq.sqe_tail;  // (not the probes' and canaries')
    count_sq_free();
    return true;
  }

  // Incremental consumption: the pool laid out as large buffers in a ring
  // registered with IOU_PBUF_RING_INC, where each receive takes one piece
  // of the head buffer. False only when no ring can be registered at all.
  bool use_incremental(std::string& why) {
    const RuntimeOptions& o = loop_.options();
    const uint32_t size = pool_.large_size(BufferPool::large_wish(o.large_buffer_size), o.buffers_per_connection);
    if (size == 0) {
      setup_.incremental_why = std::string("canary passed; ") + BufferPool::large_off_why(o.large_buffer_size);
      return true;
    }
    io_uring_unregister_buf_ring(&ring_, kBufferGroup);
    uring::free_buf_ring(buf_ring_, pool_.count());
    pool_.use_large(size);
    buf_ring_ = uring::register_buf_ring(ring_, pool_.count(), kBufferGroup, why, IOU_PBUF_RING_INC);
    if (!buf_ring_) {  // whole buffers again
      setup_.incremental_why = "canary passed; registering the large-buffer ring failed: " + why;
      pool_.use_large(0);
      buf_ring_ = uring::register_buf_ring(ring_, pool_.count(), kBufferGroup, why);
      if (!buf_ring_) return false;
      pool_.use_ring(buf_ring_);
      return true;
    }
    pool_.use_ring(buf_ring_);
    inc_ = setup_.incremental_used = true;
    return true;
  }

  Backend backend() const noexcept override { return Backend::uring; }
  int socket_flags() const noexcept override { return SOCK_CLOEXEC; }
  std::string describe() const override {
    // (How files move: "file_ops" = file opcodes on the ring; send_file's way.)
    std::string d = uring::describe_features(features(), setup_.off);
    const std::size_t at = std::min(d.find(" (off"), d.size());
    return d.insert(at, std::string(file_ops_ ? " file_ops" : "") +
                            (direct_sendfile_ ? " send_file=sendfile+splice" : splice_ ? " send_file=splice" : " send_file=read") +
                            " " + loop_.fixed().describe() +
                            (loop_.fixed().registered() ? (send_fixed_buf_ ? " send_fixed" : "") : " (" + loop_.fixed().why() + ")"));
  }
  std::vector<BackendFeature> features() const override {
    std::vector<BackendFeature> v = uring::feature_list(setup_);
    for (BackendFeature& f : v)
      if (f.name == "msg_ring" && f.on && !msg_ring_) f = {f.name, false, "failed at run time; shards wake each other through eventfds"};
      else if (f.name == "min_wait" && f.on && !min_wait_ns_)
        f = {f.name, false, "the kernel has it; not used: RuntimeOptions::min_wait is 0"};
      else if (f.name == "recv_byte_limit" && f.on && !multishot_)
        f = {f.name, false, "the kernel has it; not used without defer_taskrun: receives are single-shot"};
    if (loop_.fixed().registered()) v.push_back({"fixed_buffers", true, {}});
    else v.push_back({"fixed_buffers", false, fixed_off_ ? std::string("off by option") : loop_.fixed().why()});
    return v;
  }

  void wait(int64_t timeout_ns) override {
    if (overflowed_) timeout_ns = 0;
    // Buffers may have come back outside a kernel wait (from a timer or a
    // ready task): re-arm paused receivers now, not after an unrelated event.
    if (!starved_.empty() && pool_.recovered()) resume_starved();
    ++loop_.stats.submit_syscalls;
    // SQEs are counted here, by the queue's tail, not one by one where made.
    loop_.stats.ops_submitted += ring_.sq.sqe_tail - sqes_counted_;
    sqes_counted_ = ring_.sq.sqe_tail;
    if (timeout_ns == 0) {
      io_uring_submit_and_get_events(&ring_);
    } else if (batch_busy_ && batch_wait_ns_ && (timeout_ns < 0 || timeout_ns >= batch_wait_ns_)) {
      wait_batched(timeout_ns);
    } else if (timeout_ns < 0) {
      io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    loop_.update_now();  // the turn's time, before any completion resumes a task (turn_ns)
    count_sq_free();
    const unsigned reaped = reap();
    // The next wait is batched after a busy turn (paced: pace_batches()).
    // (Off by default: nothing is stored per turn then.)
    if (min_wait_ns_) [[unlikely]] {
      batch_busy_ = reaped >= kBatchBusyAt;
      pace_batches();
    }
    overflowed_ = io_uring_cq_has_overflow(&ring_);
    if (overflowed_ || *ring_.cq.koverflow != dropped_seen_) [[unlikely]] count_overflow();
    if (!starved_.empty() && pool_.recovered()) resume_starved();
  }

  // A wait for min_wait_completions completions, or the paced min_wait
  // (batch_wait_ns_) with at least one (Linux 6.12): the shard's own timer
  // ends it, so (with DEFER_TASKRUN) the peers' sends in the meantime wake
  // nobody. liburing 2.3 cannot pass min_wait_usec, so the SQ is flushed and
  // io_uring_enter called here (what io_uring_submit_and_wait_timeout does,
  // plus the field). Without a general timeout the kernel would end
  // the wait at min_wait even with nothing in: an hour stands for "none".
  [[gnu::noinline]] void wait_batched(int64_t timeout_ns) {
    ++loop_.stats.batched_waits;
    if (timeout_ns < 0) timeout_ns = int64_t(3600) * 1'000'000'000;
    __kernel_timespec ts{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
    uring::GetEventsArg arg{0, _NSIG / 8, static_cast<uint32_t>(batch_wait_ns_ / 1000), reinterpret_cast<uint64_t>(&ts)};
    io_uring_sq& sq = ring_.sq;
    const unsigned tail = sq.sqe_tail;
    if (sq.sqe_head != tail) {
      sq.sqe_head = tail;
      io_uring_smp_store_release(sq.ktail, tail);
    }
    const unsigned submit = tail - io_uring_smp_load_acquire(sq.khead);
    unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
    int fd = ring_.ring_fd;
    if (setup_.registered_fd) flags |= IORING_ENTER_REGISTERED_RING, fd = ring_.enter_ring_fd;
    ::syscall(__NR_io_uring_enter, fd, submit, min_wait_count_, flags, &arg, sizeof arg);
  }

  // ---- streams ----
  Conn* make_conn(Loop& loop, int fd) override { return new UringConn(&loop, fd); }

  bool recv_start(Conn& conn) override {
    UringConn& c = as_uring(conn);
    if (c.rx_armed || c.starved || c.rx_end) return false;
    // (Called only with the queue empty: what the connection holds is lent.)
    if (c.credit <= 0) [[unlikely]] {
      if (StreamOps::at_share(c)) return true;
    }
    arm_recv(c);
    return false;
  }

  int32_t send(Conn& c, Completion& op, const std::byte* p, std::size_t n) override {
    // Shortages go to a tail call, so this path keeps no registers to save.
    if (!slots_.has_free() || !next_sqe_available()) [[unlikely]] return send_after_refill(c, op, p, n);
    io_uring_sqe* sqe = take_sqe();
    Slot* s = slots_.take(Slot::kSend, &op);
    op.slot = s;
    io_uring_prep_send(sqe, c.fd, p, n, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, s);
    return kPending;
  }

  int32_t sendmsg(Conn& c, Completion& op, const ::msghdr* m) override {
    slots_.reserve();
    Slot* s = slots_.take(Slot::kSend, &op);
    op.slot = s;
    io_uring_prep_sendmsg(sqe_for(s), c.fd, m, MSG_NOSIGNAL);
    return kPending;
  }

  bool register_fixed(const ::iovec* iov, unsigned n, std::string& why) override {
    if (fixed_off_) {
      why = "off by option (CORING_URING_OFF=fixed_buffers)";
      return false;
    }
    const int r = io_uring_register_buffers(&ring_, iov, n);
    if (r < 0) {
      why = std::string("io_uring_register_buffers failed: ") + std::strerror(-r);
      if (r == -ENOMEM) why += " (RLIMIT_MEMLOCK too low: raise LimitMEMLOCK or lower fixed_buffer_count)";
      return false;
    }
    fixed_ = true;
    send_fixed_buf_ = uring::probe_send_fixed(ring_, iov[0].iov_base);
    return true;
  }

  // A send from the shard's fixed pool: SEND_ZC (from registered memory when
  // it is registered) at or above the threshold, else SEND. The buffer is
  // pinned until the final CQE, so the owner may go at any time.
  int32_t send_fixed(Conn& conn, Completion& op, const std::byte* p, std::size_t n, uint32_t index,
                     bool zero_copy) override {
    UringConn& c = as_uring(conn);
    slots_.reserve();
    Slot* s = slots_.take(Slot::kSendFixed, &op);
    op.slot = s;
    s->buf = index;
    s->zc = zero_copy && zc_ && n >= zc_threshold_ && !c.zc_copied;
    loop_.fixed().pin(index);
    io_uring_sqe* sqe = sqe_for(s);
    if (s->zc) {
      if (fixed_) io_uring_prep_send_zc_fixed(sqe, c.fd, p, n, MSG_NOSIGNAL, IORING_SEND_ZC_REPORT_USAGE, index);
      else io_uring_prep_send_zc(sqe, c.fd, p, n, MSG_NOSIGNAL, IORING_SEND_ZC_REPORT_USAGE);
      s->conn = &c;  // the notification tells whether this socket's bytes were copied
      ++c.refs;
      ++loop_.stats.zc_sends;
      ++loop_.stats.zc_pending;
    } else {
      io_uring_prep_send(sqe, c.fd, p, n, MSG_NOSIGNAL);
      if (send_fixed_buf_) {
        sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
        sqe->buf_index = static_cast<uint16_t>(index);
      }
    }
    return kPending;
  }

  // Zero-copy notifications still name socket records: wait for them
  // (bounded; a socket that never sends its queued bytes keeps its record).
  void quiesce() noexcept override {
    for (int i = 0; i < 200 && loop_.stats.zc_pending > 0; ++i) {
      __kernel_timespec ts{0, 10'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      count_sq_free();
      reap();
    }
  }

  int32_t connect(Conn& c, Completion& op, const SocketAddress& addr) override {
    Slot* s = slots_.get(Slot::kOp, &op);
    op.slot = s;
    io_uring_prep_connect(sqe_for(s), c.fd, addr.data(), addr.size());
    return kPending;
  }

  int32_t datagram_recv(Conn& c, Completion& op, msghdr* msg) override {
    Slot* s = slots_.get(Slot::kOp, &op);
    op.slot = s;
    io_uring_prep_recvmsg(sqe_for(s), c.fd, msg, 0);
    return kPending;
  }

  int32_t datagram_send(Conn& c, Completion& op, const msghdr* msg) override {
    Slot* s = slots_.get(Slot::kOp, &op);
    op.slot = s;
    io_uring_prep_sendmsg(sqe_for(s), c.fd, msg, MSG_NOSIGNAL);
    return kPending;
  }

  bool cancel(Conn* c, Completion& op) override {
    (void)c;
    if (!file_ops_ && files_.owns(op)) return files_.cancel(op);
    if (auto* s = static_cast<Slot*>(op.slot)) cancel_slot(s);
    return false;  // its CQE (-ECANCELED, or the result if it won the race) will come
  }

  // The kernel may still read the op's memory (a send's bytes, a connect's
  // address not yet copied) until its final CQE, and without DEFER_TASKRUN
  // it may retry a send from task work that runs at any return to user space,
  // before a cancel queued here would be submitted. So the op's SQE and the
  // cancel are submitted now, and this waits until the kernel has posted the
  // op's final CQE (it is absorbed later, its target cleared): when abandon()
  // returns, the kernel holds no pointer into the owner's memory.
  void abandon(Conn* c, Completion& op) noexcept override {
    (void)c;
    if (!file_ops_ && files_.owns(op)) return files_.abandon(op);
    auto* s = static_cast<Slot*>(std::exchange(op.slot, nullptr));
    if (!s) return;
    s->target = nullptr;
    if (posted(s)) return;
    cancel_slot(s);
    // A fixed-buffer send's bytes are pinned in the pool until its final
    // CQE: nothing of the owner's is touched, no need to wait.
    if (s->kind == Slot::kSendFixed) return;
    flush();
    ++loop_.stats.abandon_waits;
    for (int i = 0; i < 1000 && !posted(s); ++i) {
      if (io_uring_cq_has_overflow(&ring_)) break;  // it may sit in the overflow list: cannot be seen here
      const unsigned ready = io_uring_smp_load_acquire(ring_.cq.ktail) - *ring_.cq.khead;
      __kernel_timespec ts{0, 10'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, ready + 1, &ts, nullptr);
      count_sq_free();
    }
  }

  void close(Conn& conn) noexcept override {
    UringConn& c = as_uring(conn);
    if (Slot* s = std::exchange(c.recv_slot, nullptr)) {
      s->target = nullptr;  // buffers it still delivers go straight back to the ring
      cancel_slot(s);
    }
    c.rx_armed = false;
    // Queued after the cancels, so the kernel drops its requests first.
    io_uring_sqe* sqe = sqe_for(nullptr);
    io_uring_prep_close(sqe, c.fd);
    skip_cqe_on_success(sqe);
    c.fd = -1;
  }

  void release(Conn* c) noexcept override { delete static_cast<UringConn*>(c); }

  // ---- listeners ----
  ListenerState* make_listener(Loop& loop, int fd, const ListenOptions& opts) override {
    return new UringListener(&loop, fd, opts);
  }

  bool accept_start(ListenerState& ls) override {
    UringListener& l = as_uring(ls);
    if (!l.armed && !l.closed && !l.backing_off) arm_accept(l);
    return false;
  }

  // The multishot accept is cancelled; sockets it accepted before the cancel
  // took effect still arrive (on_accept queues them), then its last CQE.
  bool accept_stop(ListenerState& ls) noexcept override {
    UringListener& l = as_uring(ls);
    if (!l.accept_slot) return true;
    if (!l.pausing) {
      l.pausing = true;
      cancel_slot(l.accept_slot);
    }
    closing_.push_back(&l);
    return false;
  }

  void listener_close(ListenerState& l) noexcept override { ::close(l.fd); }

  void release(ListenerState* l) noexcept override { delete static_cast<UringListener*>(l); }

  FileSendMode file_send_mode() const noexcept override {
    return splice_ ? FileSendMode::splice : FileSendMode::read_send;
  }
  // Only where the pages are cached (else -EOPNOTSUPP: send_file splices this piece).
  int32_t send_file(Conn& conn, Completion& op, int fd, uint64_t off, std::size_t n) override {
    UringConn& c = as_uring(conn);
    if (!direct_sendfile_ || !uring::range_cached(fd, off, n)) return -EOPNOTSUPP;
    if (!c.nonblocking) {  // once per connection
      if (!uring::make_nonblocking(c.fd)) return -errno;
      c.nonblocking = true;
    }
    ++loop_.stats.ops_submitted;
    const int32_t r = socket_sendfile(c.fd, fd, off, n);
    if (r != -EAGAIN) return r;
    Slot* s = slots_.get(Slot::kOp, &op);  // the socket is full: again once it is writable
    op.slot = s;
    op.complete = [](Completion* o, int32_t res) { StreamOps::send_complete(o, res < 0 ? res : -EAGAIN); };
    io_uring_prep_poll_add(sqe_for(s), c.fd, POLLOUT);
    return kPending;
  }

  int32_t file_start(FileOp& op) override {
    if (!file_ops_ && op.code != FileOp::kSplice) return files_.start(op);
    Slot* s = slots_.get(op.code == FileOp::kOpen ? Slot::kOpen : Slot::kOp, &op);
    op.slot = s;
    io_uring_sqe* sqe = sqe_for(s);
    switch (op.code) {
      case FileOp::kOpen: io_uring_prep_openat2(sqe, op.fd, op.path, static_cast<open_how*>(op.buf)); break;
      case FileOp::kStat:
        io_uring_prep_statx(sqe, op.fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, static_cast<struct statx*>(op.buf));
        break;
      case FileOp::kRead:
        if (op.buf_index >= 0 && fixed_)
          io_uring_prep_read_fixed(sqe, op.fd, op.buf, op.len, static_cast<uint64_t>(op.off), op.buf_index);
        else
          io_uring_prep_read(sqe, op.fd, op.buf, op.len, static_cast<uint64_t>(op.off));
        break;
      case FileOp::kClose: io_uring_prep_close(sqe, op.fd); break;
      case FileOp::kSplice: io_uring_prep_splice(sqe, op.fd, op.off, op.fd_out, -1, op.len, 0); break;
    }
    return kPending;
  }

  int32_t poll_readable(int fd, Completion& op) override {
    Slot* s = slots_.get(Slot::kOp, &op);
    op.slot = s;
    io_uring_prep_poll_add(sqe_for(s), fd, POLLIN);
    return kPending;
  }

  // A CQE posted straight into the target ring: its user_data is the
  // target's wake slot, so its reap marks the loop woken. Only failures post
  // a CQE here (wake_failed_slot_), and fall back to the eventfd.
  bool wake(Loop& target) noexcept override {
    if (!msg_ring_ || target.driver().backend() != Backend::uring) return false;
    auto& t = static_cast<UringDriver&>(target.driver());
    io_uring_sqe* sqe = sqe_for(&wake_failed_slot_);
    io_uring_prep_msg_ring(sqe, t.ring_.ring_fd, 0, reinterpret_cast<uint64_t>(&t.wake_slot_), 0);
    skip_cqe_on_success(sqe);
    return true;
  }

 private:
  // io_uring_get_sqe() without its SQPOLL and SQE128 tests: this ring uses neither.
  io_uring_sqe* next_sqe() noexcept { return next_sqe_available() ? take_sqe() : nullptr; }
  // The next SQE, once next_sqe_available() said there is one.
  io_uring_sqe* take_sqe() noexcept {
    --sq_free_;
    io_uring_sq& sq = ring_.sq;
    const unsigned tail = sq.sqe_tail;
    sq.sqe_tail = tail + 1;
    return &sq.sqes[tail & sq.ring_mask];
  }
  [[gnu::cold, gnu::noinline]] int32_t send_after_refill(Conn& c, Completion& op, const std::byte* p, std::size_t n) {
    slots_.reserve();
    if (!next_sqe_available()) flush();
    if (!next_sqe_available()) return -EBUSY;  // the kernel took nothing: fail the send, never spin
    return send(c, op, p, n);
  }
  // (Entries free in the SQ, counted after each submit: without SQPOLL the
  // kernel takes entries only inside io_uring_enter, so in between the count
  // only falls, as entries are taken.)
  bool next_sqe_available() const noexcept { return sq_free_ != 0; }
  void count_sq_free() noexcept {
    sq_free_ = ring_.sq.ring_entries - (ring_.sq.sqe_tail - __atomic_load_n(ring_.sq.khead, __ATOMIC_ACQUIRE));
  }
  // An SQE whose CQE goes to `s` (null: nobody waits; success is not even posted,
  // and a failure goes to no_waiter_, so reap() needs no test for a null user_data).
  io_uring_sqe* sqe_for(Slot* s) {
    if (!s) s = &no_waiter_;
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) [[unlikely]] sqe = flush_and_get_sqe();
    io_uring_sqe_set_data(sqe, s);
    return sqe;
  }
  // The SQ filled up within one turn: submit early, then take an entry.
  [[gnu::noinline]] io_uring_sqe* flush_and_get_sqe() {
    flush();
    return next_sqe();
  }
  void flush() {
    io_uring_submit(&ring_);
    count_sq_free();
    ++loop_.stats.submit_syscalls;
  }
  void skip_cqe_on_success(io_uring_sqe* sqe) noexcept {
    if (skip_success_) sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }
  void cancel_slot(Slot* s) {
    io_uring_sqe* sqe = sqe_for(nullptr);
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(s), 0);
    skip_cqe_on_success(sqe);
  }

  // Whether the final CQE of the op in slot `s` is in the CQ and not yet
  // dispatched. Inside reap() the scan starts after the CQE being dispatched,
  // not at the published head: a slot freed earlier in the batch may have
  // been taken again, and its old CQE must not count as the new op's.
  bool posted(const Slot* s) const noexcept {
    const unsigned mask = ring_.cq.ring_mask;
    const unsigned tail = io_uring_smp_load_acquire(ring_.cq.ktail);
    unsigned h = *ring_.cq.khead;
    if (reaping_) {  // just after the CQE being dispatched: its index, then its place before the tail
      const unsigned idx = static_cast<unsigned>(reap_cur_ - ring_.cq.cqes);
      unsigned back = (tail - idx) & mask;
      if (back == 0) back = mask + 1;
      h = tail - back + 1;
    }
    for (; h != tail; ++h) {
      const io_uring_cqe& cqe = ring_.cq.cqes[h & mask];
      if (cqe.user_data == reinterpret_cast<uint64_t>(s) && !(cqe.flags & IORING_CQE_F_MORE)) return true;
    }
    return false;
  }

  // The CQ overflowed: completions wait in the kernel's overflow list (the
  // next wait() flushes them in, with timeout 0) or, without memory for it,
  // were dropped. cq_overflows counts both, by completion: the kernel's own
  // count of dropped ones, and the entries that joined the list since the
  // last look. The kernel moves its list into the CQ oldest first, before it
  // posts anything new, so of the entries seen last time, as many as were
  // reaped since have left it; any beyond the rest are new.
  [[gnu::cold, gnu::noinline]] void count_overflow() {
    const unsigned dropped = *ring_.cq.koverflow;
    loop_.stats.cq_overflows += dropped - dropped_seen_;
    dropped_seen_ = dropped;
    if (!overflowed_) return;
    if (!overflow_warned_) {
      overflow_warned_ = true;
      log(LogLevel::warn, "io_uring completion queue overflowed ({} entries): raise RuntimeOptions::cq_entries",
          ring_.cq.ring_entries);
    }
    const uint64_t reaped = loop_.stats.completions - completions_at_look_;
    const uint64_t still = listed_ > reaped ? listed_ - reaped : 0;
    const int64_t len = overflow_list_length();
    const uint64_t now = len < 0 ? still + 1 : static_cast<uint64_t>(len);  // unreadable: at least one new
    if (now > still) loop_.stats.cq_overflows += now - still;
    listed_ = now;
    completions_at_look_ = loop_.stats.completions;
  }
  // Entries in the ring's overflow list, from /proc/self/fdinfo (-1: unknown).
  int64_t overflow_list_length() const {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", ring_.ring_fd);
    FILE* f = std::fopen(path, "re");
    if (!f) return -1;
    char line[256];
    bool in_list = false;
    int64_t n = -1;
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "CqOverflowList:", 15) == 0) {
        in_list = true;
        n = 0;
      } else if (in_list && std::strstr(line, "user_data=")) {
        ++n;
      } else if (in_list) {
        break;
      }
    }
    std::fclose(f);
    return n;
  }

  // Arms a receive. The share counts pieces: each completion takes one (a
  // buffer, or with incremental buffers part of one) whatever its length.
  // With the kernel's byte limit (Linux 6.16) and DEFER_TASKRUN the receive
  // is multishot and stops twice over: by itself once it has received the
  // share's room in whole buffers' bytes (a peer writing large segments),
  // and by a cancel from the completion that fills the share (a peer
  // writing small ones: stop_recv). Completions post only inside
  // io_uring_enter and the cancel is submitted by the next one, so only
  // pieces of the same turn can land past the share (queued and counted;
  // the connection is refused until it is back under). Elsewhere each
  // receive is single-shot, one piece per SQE, and on_recv() re-arms the
  // slot while the share has room: without DEFER_TASKRUN a multishot recv
  // posted a burst of up to 257 buffers before its cancel (measured here).
  void arm_recv(UringConn& c) {
    Slot* s = slots_.get(Slot::kRecv, &c);
    io_uring_sqe* sqe = prep_recv(c, s);
    if (multishot_)  // (sqe->optlen: the byte limit)
      sqe->file_index = static_cast<uint32_t>(std::min<uint64_t>(uint64_t(std::max(c.credit, 1)) * pool_.buffer_size(), INT32_MAX));
    c.recv_slot = s;
    c.rx_armed = true;
  }
  // (A copy of a prepared SQE, then its socket and slot: fewer stores than
  // preparing every field, on the path of every message.)
  io_uring_sqe* prep_recv(UringConn& c, Slot* s) {
    io_uring_sqe* sqe = next_sqe_available() ? take_sqe() : flush_and_get_sqe();
    std::memcpy(sqe, recv_sqe_, sizeof recv_sqe_);
    sqe->fd = c.fd;
    sqe->user_data = reinterpret_cast<uint64_t>(s);
    return sqe;
  }

  void arm_accept(UringListener& l) {
    Slot* s = slots_.get(Slot::kAccept, &l);
    io_uring_prep_multishot_accept(sqe_for(s), l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    l.accept_slot = s;
    l.armed = true;
  }

  // Dispatches every CQE present, including those posted while dispatching
  // (an early flush of a full SQ can complete requests inline).
  unsigned reap() {
    unsigned head = *ring_.cq.khead;
    const unsigned start = head;
    const unsigned mask = ring_.cq.ring_mask;
    io_uring_cqe* const cqes = ring_.cq.cqes;
    reaping_ = true;
    for (unsigned tail; head != (tail = io_uring_smp_load_acquire(ring_.cq.ktail));) {
      // Up to the tail or the end of the array, whichever comes first: a
      // pointer walk, no index arithmetic per CQE.
      const unsigned first = head & mask;
      const unsigned n = std::min(tail - head, mask + 1 - first);
      for (const io_uring_cqe *p = cqes + first, *end = p + n; p != end; ++p) {
        reap_cur_ = p;  // for posted()
        dispatch(reinterpret_cast<Slot*>(p->user_data), p->res, p->flags);
      }
      head += n;
    }
    reaping_ = false;
    io_uring_smp_store_release(ring_.cq.khead, head);
    loop_.stats.completions += head - start;
    return head - start;
  }

  // Receives and sends, nearly every CQE of a server, are tested first and
  // inline; the other kinds go through dispatch_other().
  void dispatch(Slot* s, int32_t res, uint32_t flags) {
    if (s->kind == Slot::kRecv) {
      on_recv(s, res, flags);
    } else if (s->kind == Slot::kSend) [[likely]] {
      // (op->slot is left as it is: a finished send's slot is never read
      // again; a further send of a send_all takes a new one.)
      auto* op = static_cast<Completion*>(s->target);
      slots_.put(s);
      if (op) StreamOps::send_done(op, res);
    } else {
      dispatch_other(s, res, flags);
    }
  }

  [[gnu::noinline]] void dispatch_other(Slot* s, int32_t res, uint32_t flags) {
    if (s->kind == Slot::kOp || s->kind == Slot::kOpen) {
      auto* op = static_cast<Completion*>(s->target);
      const bool open = s->kind == Slot::kOpen;
      slots_.put(s);
      if (op) {
        op->slot = nullptr;
        op->complete(op, res);
      } else if (open && res >= 0) {
        ::close(res);  // a file opened for an owner that went away
      }
    } else if (s->kind == Slot::kSendFixed) {
      on_send_fixed(s, res, flags);
    } else if (s->kind == Slot::kAccept) {
      on_accept(s, res, flags);
    } else if (s->kind == Slot::kWake) {
      loop_.note_wake();  // another shard's MSG_RING
    } else if (s->kind == Slot::kWakeFailed) {
      on_wake_failed(res);
    }  // kNone: a cancel or close that nobody waits for failed (its success posts nothing)
  }

  void on_recv(Slot* s, int32_t res, uint32_t flags) {
    auto* c = static_cast<UringConn*>(s->target);
    if (min_wait_ns_ && c && res > 0) [[unlikely]] note_arrival(*c);
    // The common case: bytes for a task that waits with nothing queued. The
    // piece goes straight to the task; the multishot receive goes on while
    // the share has room after this piece (a single-shot one is re-armed in
    // the same slot), so the task's next recv() finds it armed.
    if ((flags & IORING_CQE_F_BUFFER) && res > 0 && c && c->reader && c->queue.empty()) [[likely]] {
      const uint32_t piece = pool_.from_kernel(static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT),
                                               static_cast<uint32_t>(res), flags & IORING_CQE_F_BUF_MORE);
      if (flags & IORING_CQE_F_MORE) {  // multishot, going on
        if (c->credit <= 1) [[unlikely]] stop_recv(*c, s);  // this piece fills the share
      } else if (c->credit > 1 && !multishot_) {
        prep_recv(*c, s);
      } else {
        recv_ended(*c, s);
      }
      StreamOps::resume_reader(StreamOps::hand_to_reader(*c, piece, static_cast<uint32_t>(res)));
      return;
    }
    on_recv_other(s, c, res, flags);
  }

  // The connection's receive posted its last completion: nothing armed.
  void recv_ended(UringConn& c, Slot* s) noexcept {
    slots_.put(s);
    c.recv_slot = nullptr;
    c.rx_armed = false;
    c.rx_stopping = false;
  }

  // The connection's multishot recv reached the share: cancelled (once).
  void stop_recv(UringConn& c, Slot* s) {
    if (c.rx_stopping) return;
    c.rx_stopping = true;
    cancel_slot(s);
  }

  void on_recv_other(Slot* s, UringConn* c, int32_t res, uint32_t flags) {
    const bool more = flags & IORING_CQE_F_MORE;
    const auto id = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    // A piece only with bytes: a failed or empty receive leaves an
    // incrementally consumed buffer where it was (a whole one came back
    // with the completion, so it is taken and given back).
    uint32_t piece = 0;
    if ((flags & IORING_CQE_F_BUFFER) && (res > 0 || !inc_)) {
      piece = pool_.from_kernel(id, res > 0 ? static_cast<uint32_t>(res) : 0, flags & IORING_CQE_F_BUF_MORE);
      if (res <= 0) pool_.release(id);
    }
    if (!c) {  // owner closed: absorb
      if ((flags & IORING_CQE_F_BUFFER) && res > 0) pool_.release(id);
      if (!more) slots_.put(s);
      return;
    }
    RecvAwaiter* handed = nullptr;
    if (res > 0 && c->reader && c->queue.empty()) {
      handed = StreamOps::hand_to_reader(*c, piece, static_cast<uint32_t>(res));  // no queue round trip
    } else if (res > 0) {
      // (Past the share only by the pieces of one turn: arm_recv.)
      c->queue.push({static_cast<uint32_t>(res), piece});
    } else if (res == 0) {
      c->set_eof();
    } else if (res == -ENOBUFS) {
      ++loop_.stats.buffer_exhausted;  // backpressure, not an error: resume when buffers return
      if (!c->starved) {
        c->starved = true;
        ++c->refs;
        starved_.push_back(c);
      }
    } else if (res != -ECANCELED) {
      c->set_error(res);
    }
    if (more && res > 0 && c->credit - static_cast<int32_t>(c->queue.size()) - (handed ? 1 : 0) <= 0) stop_recv(*c, s);
    if (!more) {
      recv_ended(*c, s);
      // A reader that came while the receive was stopping, with nothing
      // queued, is at its share: it gets no_buffer_space now.
      if ((c->reader || c->parked) && c->queue.empty() && recv_start(*c)) StreamOps::wake_reader(*c);
    }
    if (handed) {
      StreamOps::resume_reader(handed);
    } else if (!c->queue.empty() || c->rx_end) {
      if (c->reader) StreamOps::wake_reader(*c);
      else if (c->parked) StreamOps::wake_parked(*c);  // last: the handler may drop the stream
    }
  }

  // A send from a fixed buffer: its result, then (zero-copy, IORING_CQE_F_MORE)
  // a notification once the kernel let go of the buffer.
  void on_send_fixed(Slot* s, int32_t res, uint32_t flags) {
    if (flags & IORING_CQE_F_NOTIF) {
      finish_fixed(s, (static_cast<uint32_t>(res) & IORING_NOTIF_USAGE_ZC_COPIED) != 0);
      return;
    }
    auto* op = static_cast<Completion*>(s->target);
    s->target = nullptr;
    if (s->zc && res == -EINVAL) [[unlikely]] {  // a kernel without REPORT_USAGE (< 6.2): copy from now on
      if (zc_) log(LogLevel::warn, "io_uring: IORING_OP_SEND_ZC refused (EINVAL); sends copy");
      zc_ = setup_.send_zc = false;
      res = -EAGAIN;  // send_complete tries again, as a plain send
    }
    if (!(flags & IORING_CQE_F_MORE)) finish_fixed(s, false);
    if (op) StreamOps::send_complete(op, res);
  }

  void finish_fixed(Slot* s, bool copied) {
    loop_.fixed().unpin(s->buf);
    if (s->zc) {
      --loop_.stats.zc_pending;
      auto* c = static_cast<UringConn*>(s->conn);
      if (copied) {
        ++loop_.stats.zc_copied;
        c->zc_copied = !zc_always_;
      }
      StreamOps::unref(c);
    }
    slots_.put(s);
  }

  void on_accept(Slot* s, int32_t res, uint32_t flags) {
    const bool more = flags & IORING_CQE_F_MORE;
    auto* l = static_cast<UringListener*>(s->target);  // alive: a closing listener waits for the last CQE
    if (res >= 0) {
      l->queue.push(res);  // also after a close began: the connection is served
      if (more && !l->pausing && l->queue.size() >= l->opts.accept_queue) {
        l->pausing = true;
        cancel_slot(s);
      }
    } else if (res != -ECANCELED) {
      ListenerOps::on_error(*l, res);
    }
    if (!more) {
      slots_.put(s);
      l->accept_slot = nullptr;
      l->armed = false;
      l->pausing = false;
      if (l->closed) {  // its last CQE after accept_stop(): drain the backlog, close
        std::erase(closing_, l);
        ListenerOps::accept_stopped(*l);
        return;
      }
      if (l->waiter && l->queue.empty()) accept_start(*l);
    }
    if (l->waiter && !l->queue.empty()) ListenerOps::wake(*l);
  }

  // MSG_RING failed (an older kernel that refuses it for this ring type, or
  // a full target CQ): every later wake-up goes through the eventfd, and
  // every shard is woken now, since which one this was for is not known.
  [[gnu::cold]] void on_wake_failed(int32_t res) {
    if (res >= 0) return;  // a success CQE (a kernel without CQE_SKIP_SUCCESS)
    if (msg_ring_) log(LogLevel::warn, "IORING_OP_MSG_RING failed ({}); shards wake each other through eventfds", -res);
    msg_ring_ = false;
    loop_.wake_all_by_eventfd();
  }

  void resume_starved() {
    resuming_.swap(starved_);  // both keep their capacity: no allocation per recovery
    for (UringConn* c : resuming_) {
      c->starved = false;
      // (At its share, a waiting reader gets no_buffer_space: on_recv_other.)
      if (!c->closed && (c->reader || c->parked) && c->queue.empty() && recv_start(*c)) StreamOps::wake_reader(*c);
      StreamOps::unref(c);
    }
    resuming_.clear();
  }

  Loop& loop_;
  BufferPool& pool_;
  io_uring ring_{};
  bool ring_ok_ = false;
  uring::RingSetup setup_;
  io_uring_buf_ring* buf_ring_ = nullptr;
  uring::SlotPool slots_;
  Slot no_waiter_{Slot::kNone, false, 0, nullptr, {nullptr}};
  std::vector<UringConn*> starved_;
  std::vector<UringConn*> resuming_;  // scratch for resume_starved()
  // Closing listeners whose cancelled multishot accept has not ended yet: freed with the
  // driver if the runtime ends first (its last CQE then never comes).
  std::vector<UringListener*> closing_;
  bool skip_success_ = false;
  bool msg_ring_ = false;  // IORING_OP_MSG_RING available for cross-shard wake-ups
  Slot wake_slot_{};          // user_data of MSG_RING CQEs that wake this loop
  Slot wake_failed_slot_{};   // user_data of this loop's MSG_RING SQEs (CQE only on failure)
  bool inc_ = false;         // incremental buffer consumption: large buffers, one piece per receive
  bool multishot_ = false;   // receives are multishot (byte limit and DEFER_TASKRUN): arm_recv
  unsigned sq_free_ = 0;       // entries free in the SQ (next_sqe_available)
  unsigned sqes_counted_ = 0;  // the SQ tail when SQEs were last counted (RuntimeStats::ops_submitted)
  // A receive into a provided buffer, for prep_recv() to copy (bytes: the
  // SQE type ends in a flexible array, which a member may not).
  alignas(io_uring_sqe) unsigned char recv_sqe_[sizeof(io_uring_sqe)] = {};
  bool file_ops_ = false;    // OPENAT2, STATX, READ and CLOSE: else files go to files_
  bool splice_ = false;      // IORING_OP_SPLICE
  bool direct_sendfile_ = false;  // sendfile(2) on the shard for cached pages (send_file)
  bool fixed_off_ = false;   // fixed buffers turned off by option
  bool fixed_ = false;       // the FixedPool is registered with the ring
  bool send_fixed_buf_ = false;  // IORING_OP_SEND takes IORING_RECVSEND_FIXED_BUF
  bool zc_ = false;          // IORING_OP_SEND_ZC for large fixed-buffer sends
  uint32_t zc_threshold_ = 0;
  bool zc_always_ = false;   // CORING_SEND_ZC=always: never turn zero-copy off for a connection
  FileOffload files_;
  bool overflowed_ = false;
  // Batched waits (RuntimeOptions::min_wait): on, and the last turn was busy.
  int64_t min_wait_ns_ = 0;
  unsigned min_wait_count_ = 1;
  static constexpr unsigned kBatchBusyAt = 4;  // completions in a turn that make it busy
  // Pacing: a batched wait lasts at most an eighth of a connection's mean time
  // between receives (measured over windows of kPaceWindowNs: pace_batches()),
  // and not at all if that is under kPaceFloorNs.
  static constexpr int64_t kPaceWindowNs = 2'000'000;
  static constexpr int64_t kPaceFloorNs = 10'000;
  int64_t batch_wait_ns_ = 0;     // this window's batched wait (0: plain waits)
  int64_t pace_start_ns_ = 0;     // the window's start
  uint32_t pace_receives_ = 0;    // receive completions in the window
  uint32_t pace_conns_ = 0;       // connections that received in it
  uint8_t pace_window_ = 1;       // the window's number, mod 8 (UringConn::seen_window)

  void note_arrival(UringConn& c) noexcept {
    ++pace_receives_;
    if (c.seen_window != pace_window_) c.seen_window = pace_window_, ++pace_conns_;
  }

  // At a window's end: a connection's mean time between receives is
  // window * connections / receives, less the wait in force, which lengthened
  // it (else a pace just under the floor would hold itself above it); waits
  // get an eighth of that, min_wait at most. A window that ran over twice its
  // length (the shard slept through much of it) says nothing of the pace:
  // plain waits until a whole one has been seen.
  void pace_batches() noexcept {
    const int64_t now = loop_.now();
    const int64_t span = now - pace_start_ns_;
    if (span < kPaceWindowNs) return;
    int64_t t = 0;
    if (pace_receives_ > 0 && span <= 2 * kPaceWindowNs)
      t = std::min(min_wait_ns_, (span * pace_conns_ / pace_receives_ - batch_wait_ns_) / 8);
    batch_wait_ns_ = t >= kPaceFloorNs ? t : 0;
    pace_start_ns_ = now;
    pace_receives_ = pace_conns_ = 0;
    pace_window_ = (pace_window_ + 1) & 7;
  }
  bool batch_busy_ = false;
  bool overflow_warned_ = false;
  bool reaping_ = false;   // inside reap(): its head is not published yet
  const io_uring_cqe* reap_cur_ = nullptr;  // inside reap(): the CQE being dispatched
  unsigned dropped_seen_ = 0;  // the kernel's count of dropped completions, as last read
  uint64_t listed_ = 0;        // overflow-list entries at the last look
  uint64_t completions_at_look_ = 0;
};

}  // namespace

std::unique_ptr<Driver> make_uring_driver(Loop& loop, std::string& why) {
  auto d = std::make_unique<UringDriver>(loop);
  if (!d->init(why)) {
    d.reset();
    loop.pool().use_free_list();
    return nullptr;
  }
  return d;
}

}  // namespace coring::detail
