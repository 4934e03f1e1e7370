// Listener: bind/listen, close, and the accept back-off after descriptor exhaustion (accept itself: accept_op.cpp).
#include "coring/net/listener.hpp"

#include <sys/socket.h>
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
  ListenerState* st = loop->driver().make_listener(*loop, fd, opts);
  st->unix_file.bound(addr);
  loop->listener_opened(st);
  if (loop->stopping()) detail::ListenerOps::shut(*st);  // a stopping shard accepts nothing new
  Listener l;
  l.l_ = st;
  return l;
}

SocketAddress Listener::local_address() const {
  if (!l_) return {};
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
  l.loop->driver().listener_close(l);
  l.unix_file.remove();
  wake_later(l);
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
