// Listener: bind/listen or adopt, the lossless close, and the accept back-off after descriptor exhaustion (accept itself: accept_op.cpp).
#include "coring/net/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "coring/detail/shard_check.hpp"
#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::ListenerOps;
using detail::ListenerState;
using detail::Loop;

namespace {
constexpr int64_t kBackoffNs = 50'000'000;  // 50 ms between accept retries after EMFILE

}  // namespace

void detail::ListenerOps::unref(ListenerState* l) noexcept {
  if (--l->refs == 0) {
    while (!l->queue.empty()) ::close(l->queue.pop());
    l->loop->listener_released(l);
    l->loop->driver().release(l);
  }
}

Result<Listener> Listener::bind(std::string_view addr, ListenOptions opts) {
  auto a = SocketAddress::parse(addr);
  if (!a) return a.error();
  return bind(*a, opts);
}

Result<Listener> Listener::bind(const SocketAddress& addr, ListenOptions opts) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  int fd = detail::open_socket(*loop, addr.family());
  if (fd < 0) return errno_code(errno);
  int one = 1;
  if (!addr.is_unix()) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  detail::UnixPath::prepare(addr, opts.remove_stale_unix_path);
  if (opts.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    int e = errno;
    ::close(fd);
    return errno_code(e);
  }
  if (::bind(fd, addr.data(), addr.size()) < 0 || ::listen(fd, opts.backlog) < 0) {
    int e = errno;
    ::close(fd);
    return errno_code(e);
  }
  return ListenerOps::open(fd, opts, &addr);
}

Result<Listener> Listener::adopt(int fd, ListenOptions opts) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  struct stat st{};
  if (::fstat(fd, &st) < 0) return errno_code(errno);
  if (!S_ISSOCK(st.st_mode)) return errc::not_a_socket;
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return errno_code(errno);
  len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) return errno_code(errno);
  if (type != SOCK_STREAM || !listening) return errc::invalid_argument;
  // The backend's mode: non-blocking for a reactor, blocking for a proactor (driver.hpp).
  const int fl = ::fcntl(fd, F_GETFL);
  const int want = (loop->driver().socket_flags() & SOCK_NONBLOCK) ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (fl < 0 || (want != fl && ::fcntl(fd, F_SETFL, want) < 0) || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    return errno_code(errno);
  return ListenerOps::open(fd, opts, nullptr);
}

Result<Listener> detail::ListenerOps::open(int fd, const ListenOptions& opts, const SocketAddress* bound) {
  Loop* loop = Loop::current();
  ListenerState* st = loop->driver().make_listener(*loop, fd, opts);
  if (bound) st->unix_file.bound(*bound);
  loop->listener_opened(st);
  if (loop->stopping()) shut(*st);  // a stopping shard accepts nothing new
  Listener l;
  l.l_ = st;
  return l;
}

int Listener::native_handle() const noexcept { return l_ && !l_->drained ? l_->fd : -1; }

SocketAddress Listener::local_address() const {
  if (!l_ || l_->drained) return {};
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(l_->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

void Listener::close() noexcept {
  ListenerState* l = std::exchange(l_, nullptr);
  if (!l) return;
  detail::check_shard(l->loop, "a Listener (closed or destroyed)");
  ListenerOps::shut(*l);
  ListenerOps::unref(l);
}

void detail::ListenerOps::shut(ListenerState& l) noexcept {
  if (l.closed) return;
  l.closed = true;
  if (l.queued()) detail::timer_remove(&l);
  l.unix_file.remove();  // at once: new connections are refused from here
  ++l.refs;  // until accept_stopped(): the driver may still queue sockets on it
  if (l.loop->driver().accept_stop(l)) accept_stopped(l);
}

void detail::ListenerOps::accept_stopped(ListenerState& l) noexcept {
  // The kernel's backlog holds connections it has completed: take them all
  // now (non-blocking: the socket is ours alone from here), so that closing
  // the socket resets none of them. accept() hands them out before it ends.
  const int fl = ::fcntl(l.fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) ::fcntl(l.fd, F_SETFL, fl | O_NONBLOCK);
  const int flags = l.loop->driver().socket_flags();
  for (;;) {
    const int fd = ::accept4(l.fd, nullptr, nullptr, flags);
    if (fd >= 0) {
      l.queue.push(fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN)
      log(LogLevel::warn, "accept on fd {} while closing: {}; the rest of its backlog is reset", l.fd,
          std::generic_category().message(errno));
    break;
  }
  l.loop->driver().listener_close(l);
  l.drained = true;
  wake_later(l);
  unref(&l);
}

void detail::ListenerOps::on_error(ListenerState& l, int32_t res) noexcept {
  const int e = -res;
  if (e != EMFILE && e != ENFILE && e != ENOMEM && e != ENOBUFS) return;  // per-connection errors: keep going
  Loop* loop = l.loop;
  ++loop->stats.accept_backoffs;
  if (loop->now() - loop->last_accept_warning > 1'000'000'000) {
    loop->last_accept_warning = loop->now();
    log(LogLevel::warn, "accept on fd {}: {}; pausing accepts for 50 ms (connections wait in the backlog)", l.fd,
        std::generic_category().message(e));
  }
  if (l.backing_off || l.closed) return;
  l.backing_off = true;
  l.deadline = loop->now() + kBackoffNs;
  l.fire = [](TimerNode* t) {
    auto* st = static_cast<ListenerState*>(t);
    st->backing_off = false;
    if (st->waiter && st->loop->driver().accept_start(*st)) ListenerOps::wake(*st);
  };
  loop->timers().add(&l);
}

}  // namespace coring
