// Listener: bind/listen, the accept awaiter, and back-off after descriptor exhaustion.
#include "coring/net/listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::ListenerOps;
using detail::ListenerState;
using detail::Loop;

namespace {
constexpr int64_t kBackoffNs = 50'000'000;  // 50 ms between accept retries after EMFILE

void unref(ListenerState* l) noexcept {
  if (--l->refs == 0) {
    while (!l->queue.empty()) ::close(l->queue.pop());
    l->loop->listener_released(l);
    l->loop->driver().release(l);
  }
}
}  // namespace

Result<Listener> Listener::bind(std::string_view addr, ListenOptions opts) {
  auto a = SocketAddress::parse(addr);
  if (!a) return a.error();
  return bind(*a, opts);
}

Result<Listener> Listener::bind(const SocketAddress& addr, ListenOptions opts) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  int flags = SOCK_STREAM | SOCK_CLOEXEC;
  if (loop->driver().backend() == Backend::epoll) flags |= SOCK_NONBLOCK;
  int fd = ::socket(addr.family(), flags, 0);
  if (fd < 0) return errno_code(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
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
  auto* st = new ListenerState(loop, fd, opts);
  loop->driver().listener_attach(*st);
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
  ListenerOps::shut(*l);
  unref(l);
}

void detail::ListenerOps::shut(ListenerState& l) noexcept {
  if (l.closed) return;
  l.closed = true;
  if (l.queued()) detail::timer_remove(&l);
  l.loop->driver().listener_close(l);
  if (AcceptAwaiter* w = std::exchange(l.waiter, nullptr)) {
    w->waiting_ = false;
    l.loop->schedule(w->waiter_);
  }
}

void detail::ListenerOps::wake(ListenerState& l) noexcept {
  if (AcceptAwaiter* w = l.waiter) {
    l.waiter = nullptr;
    w->waiting_ = false;
    w->waiter_.resume();
  }
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

AcceptAwaiter::~AcceptAwaiter() {
  if (!l_) return;
  if (waiting_ && l_->waiter == this) l_->waiter = nullptr;
  if (cancel_) cancel_->disarm(this);
  if (waiter_) unref(l_);
}

bool AcceptAwaiter::await_ready() noexcept { return !l_ || !l_->queue.empty() || l_->closed; }

bool AcceptAwaiter::suspend(std::coroutine_handle<> h, detail::CancelState* cs) {
  if ((cs && cs->cancelled) || l_->waiter) {
    cancelled_ = true;
    return false;
  }
  if (!l_->backing_off && l_->loop->driver().accept_start(*l_)) return false;
  l_->waiter = this;
  waiting_ = true;
  waiter_ = h;
  ++l_->refs;
  if (cs) {
    cancel_ = cs;
    cancel_fn = [](detail::Canceller* k) {
      auto* a = static_cast<AcceptAwaiter*>(k);
      if (a->l_->waiter == a) a->l_->waiter = nullptr;
      a->waiting_ = false;
      a->cancelled_ = true;
      a->l_->loop->schedule(a->waiter_);
    };
    cs->arm(this);
  }
  return true;
}

Result<Stream> AcceptAwaiter::await_resume() noexcept {
  if (cancel_) {
    cancel_->disarm(this);
    cancel_ = nullptr;
  }
  ListenerState* l = l_;
  if (!l) return errc::bad_file_descriptor;
  struct Unref {
    AcceptAwaiter* a;
    ~Unref() {
      if (a->waiter_) {
        a->waiter_ = {};
        unref(a->l_);
      }
    }
  } drop{this};
  if (cancelled_ || l->closed) return errc::operation_canceled;
  if (l->queue.empty()) return errc::resource_unavailable_try_again;
  int fd = l->queue.pop();
  ++l->loop->stats.connections_accepted;
  return Stream(detail::StreamOps::make(l->loop, fd));
}

}  // namespace coring
