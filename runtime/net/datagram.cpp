// Datagram: a UDP socket's lifetime (bind, connect, close) and the calls that need no waiting.
#include "coring/net/datagram.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "coring/detail/shard_check.hpp"
#include "runtime/net/datagram_op.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {
using detail::DatagramState;
using detail::Loop;

void detail::DatagramState::unref() noexcept {
  if (--refs > 0) return;
  StreamOps::unref(conn);
  delete this;
}

Result<Datagram> Datagram::bind(std::string_view local, DatagramOptions opts) {
  auto a = SocketAddress::parse(local);
  if (!a) return a.error();
  return bind(*a, opts);
}

Result<Datagram> Datagram::bind(const SocketAddress& local, DatagramOptions opts) {
  Loop* loop = Loop::current();
  if (!loop) return errc::operation_not_permitted;
  const int fd = ::socket(local.family(), SOCK_DGRAM | loop->driver().socket_flags(), 0);
  if (fd < 0) return errno_code(errno);
  int one = 1;
  if ((opts.reuse_address && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
      (opts.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
      ::bind(fd, local.data(), local.size()) < 0) {
    const int e = errno;
    ::close(fd);
    return errno_code(e);
  }
  Datagram d;
  d.st_ = new DatagramState(loop->driver().make_conn(*loop, fd));
  return d;
}

Result<void> Datagram::connect(const SocketAddress& peer) noexcept {
  if (!st_) return errc::bad_file_descriptor;
  if (::connect(st_->conn->fd, peer.data(), peer.size()) < 0) return errno_code(errno);
  return {};
}

void Datagram::close() noexcept {
  DatagramState* st = std::exchange(st_, nullptr);
  if (!st) return;
  detail::check_shard(st->conn->loop, "a Datagram (closed or destroyed)");
  st->closed = true;
  st->conn->closed = true;
  if (st->receiver) st->receiver->cancel_by_close();  // cancels before the close, so the kernel drops them first
  if (st->sender) st->sender->cancel_by_close();
  st->conn->loop->driver().close(*st->conn);
  st->unref();
}

int Datagram::native_handle() const noexcept { return st_ ? st_->conn->fd : -1; }

SocketAddress Datagram::local_address() const {
  if (!st_) return {};
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(st_->conn->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<void> Datagram::set_option(SocketOption opt, int value) noexcept {
  if (!st_) return errc::bad_file_descriptor;
  return set_socket_option(st_->conn->fd, opt, value);
}

Result<int> Datagram::get_option(SocketOption opt) const noexcept {
  if (!st_) return errc::bad_file_descriptor;
  return get_socket_option(st_->conn->fd, opt);
}

}  // namespace coring
