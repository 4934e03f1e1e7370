// Stream: the connection's lifetime (made and freed through the driver), adopt, and the calls that need no waiting.
#include "coring/net/stream.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/core/loop.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::Conn;
using detail::Loop;
using detail::StreamOps;

Conn* detail::StreamOps::make(Loop* loop, int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn* c = loop->driver().make_conn(*loop, fd);
  const uint32_t share = loop->options().buffers_per_connection;
  c->share = static_cast<uint16_t>(share < 1 ? 1 : share > 0xffff ? 0xffff : share);
  c->credit = c->share;
  ++loop->stats.connections_open;
  return c;
}

void detail::StreamOps::unref(Conn* c) noexcept {
  if (--c->refs == 0) {
    if (c->lent() == 0) c->loop->driver().release(c);
    else c->loop->orphan(c);  // freed by the loop once its lent buffers are back
  }
}

int detail::open_socket(Loop& loop, int family) {
  return ::socket(family, SOCK_STREAM | loop.driver().socket_flags(), 0);
}

Result<Stream> Stream::adopt(int fd) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  // The socket's blocking mode is the one the backend's own sockets have.
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return errno_code(errno);
  const bool nonblock = (loop->driver().socket_flags() & SOCK_NONBLOCK) != 0;
  if (bool(fl & O_NONBLOCK) != nonblock) ::fcntl(fd, F_SETFL, nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
  return Stream(StreamOps::make(loop, fd));
}

int Stream::native_handle() const noexcept { return conn_ ? conn_->fd : -1; }

Result<SocketAddress> Stream::peer_address() const {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(conn_->fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return errno_code(errno);
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<void> Stream::shutdown(ShutdownHow how) noexcept {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  if (::shutdown(conn_->fd, static_cast<int>(how)) < 0) return errno_code(errno);
  return {};
}

}  // namespace coring
