// EpollDriver: edge-triggered readiness per socket; recv/send/accept/connect done here, on demand.
#include "runtime/epoll/epoll_driver.hpp"

#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/uio.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "runtime/core/socket_sendfile.hpp"
#include "runtime/core/file_offload.hpp"
#include "runtime/epoll/file_nowait.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring::detail {
namespace {

// epoll_event.data carries a pointer whose low bits say what it points to.
enum Tag : uintptr_t { kConn = 0, kListener = 1, kPoll = 2, kTagMask = 3 };

uint64_t tagged(void* p, Tag t) { return reinterpret_cast<uintptr_t>(p) | t; }

/// epoll's record of a connected socket.
struct EpollConn : Conn {
  using Conn::Conn;
  Completion* write_waiter = nullptr;  // the send or connect waiting for EPOLLOUT
  Completion* read_waiter = nullptr;   // a datagram receive waiting for EPOLLIN
  union {
    msghdr* read_msg = nullptr;  // the datagram receive's message
    EpollConn* next_dead;        // once released (closed): link in the list freed after this batch of events
  };
  const msghdr* write_msg = nullptr;   // non-null: the write waiter is a datagram send
  bool readable = true;                // the last read did not hit EAGAIN
  bool writable = true;                // the last write did not hit EAGAIN
  bool peer_closed = false;            // EPOLLRDHUP/HUP seen: read until EOF
  bool connecting = false;             // the write waiter is a connect
  bool starved = false;                // the buffer pool ran dry under it
};
// Every idle connection has one: 136 bytes is a 144-byte malloc chunk.
static_assert(sizeof(EpollConn) <= 136);

/// epoll's record of a listening socket.
struct EpollListener : ListenerState {
  using ListenerState::ListenerState;
  bool readable = true;  // the last accept did not hit EAGAIN
};

/// send_file's way here: sendfile(2) (the default: 0.3-0.7x the server CPU
/// per byte of reading then sending, docs/bytes.md), or read into a buffer
/// then send with CORING_SEND_FILE=read (a copy: a file truncated under a
/// transfer can never change bytes already handed to the socket).
FileSendMode send_mode_from_env() {
  const char* m = std::getenv("CORING_SEND_FILE");
  return m && std::string_view(m) == "read" ? FileSendMode::read_send : FileSendMode::sendfile;
}

EpollConn& as_epoll(Conn& c) noexcept { return static_cast<EpollConn&>(c); }
EpollListener& as_epoll(ListenerState& l) noexcept { return static_cast<EpollListener&>(l); }

class EpollDriver final : public Driver {
 public:
  explicit EpollDriver(Loop& loop) : loop_(loop), events_(1024) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    // Large reads: one recv of up to a large buffer's free room per readiness,
    // pieces of the buffer handed out; a buffer with a quarter or less left is
    // set aside (it goes back with its last piece) for a fresh one.
    const RuntimeOptions& o = loop.options();
    BufferPool& pool = loop.pool();
    pool.use_large(pool.large_size(BufferPool::large_wish(o.large_buffer_size), o.buffers_per_connection));
    min_room_ = pool.large() ? pool.buffer_size() / 4 + 1 : pool.buffer_size();
    large_why_ = pool.large() ? std::string() : BufferPool::large_off_why(o.large_buffer_size);
  }
  ~EpollDriver() override {
    free_graveyard();
    ::close(epfd_);
  }

  Backend backend() const noexcept override { return Backend::epoll; }
  int socket_flags() const noexcept override { return SOCK_CLOEXEC | SOCK_NONBLOCK; }
  std::string describe() const override {
    return std::string("epoll edge-triggered, lazy reads into a shared buffer pool (") +
           (loop_.pool().large() ? "large_reads of " + std::to_string(loop_.pool().buffer_size()) + " B buffers"
                                 : "large_reads off: " + large_why_) +
           "), send_file=" + (send_mode_ == FileSendMode::sendfile ? "sendfile" : "read") + " " +
           loop_.fixed().describe();
  }
  std::vector<BackendFeature> features() const override {
    return {{"large_reads", loop_.pool().large(), large_why_}};
  }

  void wait(int64_t timeout_ns) override {
    if (!starved_.empty() && loop_.pool().available() > 0) {
      resume_starved();
      timeout_ns = 0;
    }
    timespec ts{}, *tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1'000'000'000;
      ts.tv_nsec = timeout_ns % 1'000'000'000;
      tsp = &ts;
    }
    ++loop_.stats.submit_syscalls;
    const int cap = static_cast<int>(events_.size());
    int n = -1;
    if (have_pwait2_) {
      n = ::epoll_pwait2(epfd_, events_.data(), cap, tsp, nullptr);
      if (n < 0 && errno == ENOSYS) have_pwait2_ = false;  // Linux < 5.11
    }
    if (!have_pwait2_) {
      int ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
      n = ::epoll_wait(epfd_, events_.data(), cap, ms);
    }
    if (n < 0) n = 0;  // EINTR
    loop_.update_now();  // the turn's time, before any event resumes a task (turn_ns)
    loop_.stats.completions += static_cast<uint64_t>(n);
    for (int i = 0; i < n; ++i) dispatch(events_[i]);
    if (n == static_cast<int>(events_.size()) && events_.size() < 65536) events_.resize(events_.size() * 2);
    resume_starved();
    free_graveyard();
  }

  // ---- streams ----
  Conn* make_conn(Loop& loop, int fd) override {
    auto* c = new EpollConn(&loop, fd);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = tagged(c, kConn);
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) c->set_error(-errno);
    return c;
  }

  bool recv_start(Conn& conn) override {
    // (Called by recv() only: the queue empty, so what the connection holds
    // is lent; not closed, or rx_end would have answered first.)
    if (conn.credit <= 0) [[unlikely]] {
      if (StreamOps::at_share(conn)) return true;
    }
    EpollConn& c = as_epoll(conn);
    if (!c.readable) return false;
    return read_into_queue(c);
  }

  int32_t send(Conn& conn, Completion& op, const std::byte* p, std::size_t n) override {
    EpollConn& c = as_epoll(conn);
    if (c.writable) {
      for (;;) {
        ++loop_.stats.ops_submitted;
        ssize_t r = ::send(c.fd, p, n, MSG_NOSIGNAL);
        if (r >= 0) return static_cast<int32_t>(r);
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return -errno;
        c.writable = false;
        break;
      }
    }
    op.complete = &StreamOps::send_complete;
    c.write_waiter = &op;
    return kPending;
  }

  int32_t sendmsg(Conn& conn, Completion& op, const ::msghdr* m) override {
    EpollConn& c = as_epoll(conn);
    if (c.writable) {
      ++loop_.stats.ops_submitted;
      const int32_t r = try_sendmsg(c.fd, m);
      if (r != -EAGAIN) return r;
      c.writable = false;
    }
    op.complete = &StreamOps::send_complete;
    c.write_waiter = &op;
    return kPending;
  }

  int32_t connect(Conn& conn, Completion& op, const SocketAddress& addr) override {
    EpollConn& c = as_epoll(conn);
    if (::connect(c.fd, addr.data(), addr.size()) == 0) return 0;
    if (errno != EINPROGRESS) return -errno;
    c.writable = false;
    c.connecting = true;
    c.write_waiter = &op;
    return kPending;
  }

  // Datagrams: tried at once; on EAGAIN the operation waits for the socket's
  // next edge, and the driver retries it then (on_conn).
  int32_t datagram_recv(Conn& conn, Completion& op, msghdr* msg) override {
    EpollConn& c = as_epoll(conn);
    const int32_t r = try_recvmsg(c.fd, msg);
    if (r != -EAGAIN) return r;
    c.readable = false;
    c.read_waiter = &op;
    c.read_msg = msg;
    return kPending;
  }

  int32_t datagram_send(Conn& conn, Completion& op, const msghdr* msg) override {
    EpollConn& c = as_epoll(conn);
    const int32_t r = try_sendmsg(c.fd, msg);
    if (r != -EAGAIN) return r;
    c.writable = false;
    c.write_waiter = &op;
    c.write_msg = msg;
    return kPending;
  }

  bool cancel(Conn* c, Completion& op) override {
    // A file job: File's own operations, or a read step of send_file (which names its Conn).
    if (files_.owns(op)) return files_.cancel(op);
    abandon(c, op);
    return true;
  }

  // A file operation is first tried on this thread without waiting for a disk (a read from the
  // page cache, an open from the dentry cache, a stat, a close: file_nowait.hpp); what would wait
  // goes to the offload pool.
  int32_t file_start(FileOp& op) override {
    const int32_t r = file_op_nowait(op, nowait_);
    return r != kNowaitAgain ? r : files_.start(op);
  }
  FileSendMode file_send_mode() const noexcept override { return send_mode_; }

  int32_t send_file(Conn& conn, Completion& op, int fd, uint64_t off, std::size_t n) override {
    EpollConn& c = as_epoll(conn);
    if (c.writable) {
      ++loop_.stats.ops_submitted;
      const int32_t r = socket_sendfile(c.fd, fd, off, n);
      if (r != -EAGAIN) return r;
      c.writable = false;
    }
    op.complete = &StreamOps::send_complete;
    c.write_waiter = &op;
    return kPending;
  }

  // Nothing of the owner's memory is in the kernel's hands after a call
  // returns (send copies, connect copies the address): only forget the op.
  void abandon(Conn* conn, Completion& op) noexcept override {
    if (files_.owns(op)) {
      files_.abandon(op);
      return;
    }
    if (conn) {
      EpollConn* c = static_cast<EpollConn*>(conn);
      if (c->write_waiter == &op) {
        c->write_waiter = nullptr;
        c->write_msg = nullptr;
        c->connecting = false;
      }
      if (c->read_waiter == &op) {
        c->read_waiter = nullptr;
        c->read_msg = nullptr;
      }
      return;
    }
    for (std::size_t i = 0; i < polls_.size(); ++i) {
      if (polls_[i].op != &op) continue;
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, polls_[i].fd, nullptr);
      polls_[i] = polls_.back();
      polls_.pop_back();
      return;
    }
  }

  void close(Conn& conn) noexcept override {
    EpollConn& c = as_epoll(conn);
    c.write_waiter = c.read_waiter = nullptr;
    c.write_msg = nullptr;
    c.read_msg = nullptr;
    ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  }

  void release(Conn* conn) noexcept override {
    auto* c = static_cast<EpollConn*>(conn);
    c->closed = true;  // events of this batch may still name it: they read nothing else
    c->next_dead = graveyard_;
    graveyard_ = c;
  }

  // ---- listeners ----
  ListenerState* make_listener(Loop& loop, int fd, const ListenOptions& opts) override {
    auto* l = new EpollListener(&loop, fd, opts);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = tagged(l, kListener);
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    return l;
  }

  bool accept_start(ListenerState& ls) override {
    EpollListener& l = as_epoll(ls);
    while (l.readable && !l.closed && !l.backing_off) {
      ++loop_.stats.ops_submitted;
      int fd = ::accept4(l.fd, nullptr, nullptr, socket_flags());
      if (fd >= 0) {
        l.queue.push(fd);
        return true;
      }
      if (errno == EAGAIN) {
        l.readable = false;
        break;
      }
      if (errno != EINTR) ListenerOps::on_error(l, -errno);
    }
    return false;
  }

  bool accept_stop(ListenerState&) noexcept override { return true; }  // accepts happen here, on demand
  void listener_close(ListenerState& l) noexcept override {
    // Explicitly: a dup of the socket (handed to a successor) would keep the registration alive.
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, l.fd, nullptr);
    ::close(l.fd);
  }
  void release(ListenerState* l) noexcept override { dead_listeners_.push_back(l); }

  int32_t poll_readable(int fd, Completion& op) override {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = tagged(&op, kPoll);
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0 && (errno != EEXIST || ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) < 0))
      return -errno;
    polls_.push_back({&op, fd});
    return kPending;
  }

 private:
  struct PollReg {
    Completion* op;
    int fd;
  };

  void dispatch(const epoll_event& ev) {
    const uintptr_t bits = static_cast<uintptr_t>(ev.data.u64);
    void* p = reinterpret_cast<void*>(bits & ~uintptr_t(kTagMask));
    switch (bits & kTagMask) {
      case kConn: on_conn(*static_cast<EpollConn*>(p), ev.events); break;
      case kListener: on_listener(*static_cast<EpollListener*>(p)); break;
      case kPoll: {
        auto* op = static_cast<Completion*>(p);
        abandon(nullptr, *op);
        op->complete(op, 0);
        break;
      }
    }
  }

  void on_conn(EpollConn& c, uint32_t events) {
    if (c.closed) return;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.peer_closed = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      c.readable = true;
      if (c.reader && c.queue.empty()) {
        // The data goes straight to the waiting reader, not through the queue.
        const int64_t r = read_one(c);
        if (r > 0) {
          StreamOps::resume_reader(StreamOps::hand_to_reader(c, static_cast<uint32_t>(r), static_cast<uint32_t>(r >> 32)));
        } else if (r < 0) {
          StreamOps::wake_reader(c);
        }
      } else if (c.reader && try_read(c)) {
        StreamOps::wake_reader(c);
      } else if (c.parked) {
        StreamOps::wake_parked(c);  // nothing read: the task it starts reads (c stays until the batch ends)
      } else if (c.read_waiter) [[unlikely]] {
        retry_datagram(c.read_waiter, c.read_msg, c.readable, try_recvmsg(c.fd, c.read_msg));
      }
    }
    if (c.closed) return;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
      c.writable = true;
      if (c.write_msg) [[unlikely]] {
        retry_datagram(c.write_waiter, c.write_msg, c.writable, try_sendmsg(c.fd, c.write_msg));
      } else if (Completion* op = c.write_waiter) {
        c.write_waiter = nullptr;
        if (c.connecting) {
          c.connecting = false;
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
          op->complete(op, -err);
        } else {
          op->complete(op, -EAGAIN);  // the sender retries now that there is room
        }
      }
    }
  }

  static int32_t try_recvmsg(int fd, msghdr* msg) {
    for (;;) {
      const ssize_t r = ::recvmsg(fd, msg, MSG_DONTWAIT);
      if (r >= 0) return static_cast<int32_t>(r);
      if (errno != EINTR) return -errno;
    }
  }
  static int32_t try_sendmsg(int fd, const msghdr* msg) {
    for (;;) {
      const ssize_t r = ::sendmsg(fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r >= 0) return static_cast<int32_t>(r);
      if (errno != EINTR) return -errno;
    }
  }
  // A datagram operation waiting for readiness was retried with result `r`:
  // still EAGAIN, it waits for the next edge; otherwise it completes.
  template <class Msg>
  static void retry_datagram(Completion*& waiter, Msg*& msg, bool& ready, int32_t r) {
    if (r == -EAGAIN) {
      ready = false;
      return;
    }
    Completion* op = std::exchange(waiter, nullptr);
    msg = nullptr;
    op->complete(op, r);
  }

  void on_listener(EpollListener& l) {
    if (l.closed) return;
    l.readable = true;
    if (l.waiter && accept_start(l)) ListenerOps::wake(l);
  }

  // Reads one buffer's worth if the socket may have data. True when data,
  // EOF or an error is now queued on the connection. The common "nothing to
  // read" answer is decided here, inline, without entering read_one().
  bool try_read(EpollConn& c) {
    if (c.closed || !c.readable) return false;
    return read_into_queue(c);  // a tail call: the test above saves no registers
  }
  [[gnu::noinline]] bool read_into_queue(EpollConn& c) {
    const int64_t r = read_one(c);
    if (r > 0) c.queue.push({static_cast<uint32_t>(r >> 32), static_cast<uint32_t>(r)});
    return r != 0;
  }

  // One recv(2) into the free room of the current pool buffer (a fresh one
  // when too little is left). Returns (len << 32 | piece) when bytes
  // arrived, 0 when there is nothing to read (or no buffer), -1 when EOF or
  // an error is now recorded on the connection.
  [[gnu::noinline]] int64_t read_one(EpollConn& c) {
    BufferPool& pool = loop_.pool();
    uint32_t room = cur_end_ - cur_at_;
    if (room < min_room_) [[unlikely]] {
      if (!next_buffer(pool)) {
        starve(c);
        return 0;
      }
      room = cur_end_ - cur_at_;
    }
    for (;;) {
      ++loop_.stats.ops_submitted;
      ssize_t n = ::recv(c.fd, pool.piece_addr(cur_at_), room, 0);
      if (n > 0) {
        // A short read drained the socket: the next edge will tell us about
        // more (unless the peer closed, whose EOF we must still read).
        if (static_cast<uint32_t>(n) < room && !c.peer_closed) c.readable = false;
        pool.carve(cur_id_);
        const uint32_t piece = cur_at_;
        cur_at_ += static_cast<uint32_t>(n);
        return (int64_t(n) << 32) | piece;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        c.set_eof();
        return -1;
      }
      if (errno == EAGAIN) {
        c.readable = false;
        return 0;
      }
      c.set_error(-errno);
      return -1;
    }
  }

  // Sets the current buffer aside (it goes back with its last piece) and takes a fresh one.
  [[gnu::noinline]] bool next_buffer(BufferPool& pool) {
    if (cur_end_ != 0) pool.drop(cur_id_);
    cur_at_ = cur_end_ = 0;
    const int id = pool.acquire();
    if (id < 0) return false;
    cur_id_ = static_cast<uint16_t>(id);
    cur_at_ = uint32_t(id) << pool.shift();
    cur_end_ = cur_at_ + pool.buffer_size();
    return true;
  }

  [[gnu::cold, gnu::noinline]] void starve(EpollConn& c) {
    ++loop_.stats.buffer_exhausted;
    if (!c.starved) {
      c.starved = true;
      ++c.refs;
      starved_.push_back(&c);
    }
  }

  void resume_starved() {
    while (!starved_.empty() && loop_.pool().available() > 0) {
      EpollConn* c = starved_.back();
      starved_.pop_back();
      c->starved = false;
      if (c->reader && try_read(*c)) StreamOps::wake_reader(*c);
      else if (c->parked) StreamOps::wake_parked(*c);  // its task reads (our reference keeps c)
      StreamOps::unref(c);
    }
  }

  void free_graveyard() noexcept {
    while (EpollConn* c = graveyard_) {
      graveyard_ = c->next_dead;
      delete c;
    }
    for (ListenerState* l : dead_listeners_) delete static_cast<EpollListener*>(l);
    dead_listeners_.clear();
  }

  Loop& loop_;
  int epfd_;
  bool have_pwait2_ = true;
  std::vector<epoll_event> events_;
  std::vector<PollReg> polls_;
  std::vector<EpollConn*> starved_;
  EpollConn* graveyard_ = nullptr;
  std::vector<ListenerState*> dead_listeners_;
  FileOffload files_;
  NowaitSupport nowait_;
  FileSendMode send_mode_ = send_mode_from_env();
  // The pool buffer reads go into (held by this driver while cur_end_ != 0):
  // its next free byte and its end, as offsets in the pool.
  uint16_t cur_id_ = 0;
  uint32_t cur_at_ = 0;
  uint32_t cur_end_ = 0;
  uint32_t min_room_ = 0;  // a read wants at least this much room in it
  std::string large_why_;  // why large reads are off
};

}  // namespace

std::unique_ptr<Driver> make_epoll_driver(Loop& loop) { return std::make_unique<EpollDriver>(loop); }

}  // namespace coring::detail
