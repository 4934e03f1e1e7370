// raw-uring-echo: a hand-written liburing echo loop, the floor that bench/echo_efficiency.sh puts next to coring.
//
// One ring with coring's flags (SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL, 4096 SQ and
// 65536 CQ entries, registered ring fd), multishot accept, and per connection one multishot
// recv on a provided-buffer ring of 2048 x 4 KiB buffers. Each received buffer is sent back
// as it is (short sends resend the rest) and returned to the ring when its send completes.
// No coroutines, no cancellation, no per-connection share: this is the lower bound. It does
// not order two sends of one connection (a closed-loop load has one message in flight).
// Usage: raw-uring-echo [--port N] [--backend raw]; SIGINT/SIGTERM stop it.
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

namespace {

constexpr unsigned kBufs = 2048, kBufSize = 4096, kGroup = 0;
// user_data: kind (4 bits) | buffer id (16) | send offset (24) | fd (20).
enum Kind : uint64_t { kAccept = 1, kRecv = 2, kSend = 3, kSignal = 4 };
uint64_t tag(Kind k, uint32_t fd, uint32_t bid = 0, uint32_t off = 0) {
  return (uint64_t(k) << 60) | (uint64_t(bid) << 44) | (uint64_t(off) << 20) | fd;
}

struct Server {
  io_uring ring{};
  bool stop = false;
  io_uring_buf_ring* br = nullptr;
  char* bufs = nullptr;
  std::vector<uint32_t> len = std::vector<uint32_t>(kBufs);  // bytes received into each buffer

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (!s) {
      io_uring_submit(&ring);
      s = io_uring_get_sqe(&ring);
    }
    return s;
  }
  void recycle(uint32_t bid) {
    io_uring_buf_ring_add(br, bufs + size_t(bid) * kBufSize, kBufSize, static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(kBufs), 0);
    io_uring_buf_ring_advance(br, 1);
  }
  void arm_recv(int fd) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
    io_uring_sqe_set_data64(s, tag(kRecv, fd));
  }
  void send(int fd, uint32_t bid, uint32_t off) {
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, fd, bufs + size_t(bid) * kBufSize + off, len[bid] - off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, tag(kSend, fd, bid, off));
  }

  void on_cqe(uint64_t ud, int res, uint32_t flags) {
    const auto fd = static_cast<int>(ud & 0xfffff);
    switch (Kind(ud >> 60)) {
      case kAccept:
        if (res >= 0) {
          int one = 1;
          ::setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          arm_recv(res);
        }
        break;
      case kRecv:
        if (res > 0) {
          const auto bid = flags >> IORING_CQE_BUFFER_SHIFT;
          len[bid] = static_cast<uint32_t>(res);
          send(fd, bid, 0);
        } else if (flags & IORING_CQE_F_BUFFER) {
          recycle(flags >> IORING_CQE_BUFFER_SHIFT);
        }
        if (!(flags & IORING_CQE_F_MORE)) {
          if (res > 0 || res == -ENOBUFS) arm_recv(fd);
          else ::close(fd);  // EOF or error
        }
        break;
      case kSignal: stop = true; break;
      case kSend: {
        const auto bid = static_cast<uint32_t>(ud >> 44) & 0xffff;
        const auto off = static_cast<uint32_t>(ud >> 20) & 0xffffff;
        if (res > 0 && off + uint32_t(res) < len[bid]) send(fd, bid, off + uint32_t(res));
        else recycle(bid);
        break;
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  int port = 7000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  // The stop signals arrive through a signalfd polled on the ring, as in coring.
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_set, nullptr);
  const int sfd = ::signalfd(-1, &stop_set, SFD_CLOEXEC);
  std::signal(SIGPIPE, SIG_IGN);

  Server s;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = 65536;
  if (int r = io_uring_queue_init_params(4096, &s.ring, &p); r < 0) {
    std::fprintf(stderr, "raw-uring-echo: io_uring_queue_init_params: %s\n", std::strerror(-r));
    return 1;
  }
  io_uring_register_ring_fd(&s.ring);
  s.bufs = static_cast<char*>(::mmap(nullptr, size_t(kBufs) * kBufSize, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
  void* ring_mem = ::mmap(nullptr, kBufs * sizeof(io_uring_buf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (s.bufs == MAP_FAILED || ring_mem == MAP_FAILED) return 1;
  s.br = static_cast<io_uring_buf_ring*>(ring_mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(s.br);
  reg.ring_entries = kBufs;
  reg.bgid = kGroup;
  if (int r = io_uring_register_buf_ring(&s.ring, &reg, 0); r < 0) {
    std::fprintf(stderr, "raw-uring-echo: io_uring_register_buf_ring: %s\n", std::strerror(-r));
    return 1;
  }
  io_uring_buf_ring_init(s.br);
  for (uint32_t i = 0; i < kBufs; ++i)
    io_uring_buf_ring_add(s.br, s.bufs + size_t(i) * kBufSize, kBufSize, static_cast<unsigned short>(i),
                          io_uring_buf_ring_mask(kBufs), static_cast<int>(i));
  io_uring_buf_ring_advance(s.br, kBufs);

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(lfd, 4096) < 0) {
    std::perror("raw-uring-echo: bind/listen");
    return 1;
  }
  io_uring_sqe* sqe = s.sqe();
  io_uring_prep_multishot_accept(sqe, lfd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag(kAccept, static_cast<uint32_t>(lfd)));
  sqe = s.sqe();
  io_uring_prep_poll_add(sqe, sfd, POLLIN);
  io_uring_sqe_set_data64(sqe, tag(kSignal, static_cast<uint32_t>(sfd)));
  std::fprintf(stderr, "raw-uring-echo: backend raw, listening on 0.0.0.0:%d\n", port);

  while (!s.stop) {
    io_uring_submit_and_wait(&s.ring, 1);
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&s.ring, head, cqe) {
      s.on_cqe(cqe->user_data, cqe->res, cqe->flags);
      ++seen;
    }
    io_uring_cq_advance(&s.ring, seen);
  }
  std::fprintf(stderr, "raw-uring-echo: stopping\n");
  io_uring_queue_exit(&s.ring);
  return 0;
}
