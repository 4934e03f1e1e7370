// Socket options: setsockopt/getsockopt for SocketOption, Stream/Listener set_option/get_option, ConnectOptions.
#include "coring/net/socket_option.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "coring/net/listener.hpp"
#include "coring/net/stream.hpp"
#include "runtime/net/conn.hpp"

namespace coring {
namespace {
struct Level {
  int level;
  int name;
};
Level level_of(SocketOption opt) noexcept {
  switch (opt) {
    case SocketOption::no_delay: return {IPPROTO_TCP, TCP_NODELAY};
    case SocketOption::keep_alive: return {SOL_SOCKET, SO_KEEPALIVE};
    case SocketOption::recv_buffer: return {SOL_SOCKET, SO_RCVBUF};
    case SocketOption::send_buffer: return {SOL_SOCKET, SO_SNDBUF};
    case SocketOption::reuse_address: return {SOL_SOCKET, SO_REUSEADDR};
  }
  return {-1, -1};
}
}  // namespace

Result<void> set_socket_option(int fd, SocketOption opt, int value) noexcept {
  const Level l = level_of(opt);
  if (l.level < 0) return errc::invalid_argument;
  if (::setsockopt(fd, l.level, l.name, &value, sizeof value) < 0) return errno_code(errno);
  return {};
}

Result<int> get_socket_option(int fd, SocketOption opt) noexcept {
  const Level l = level_of(opt);
  if (l.level < 0) return errc::invalid_argument;
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, l.level, l.name, &value, &len) < 0) return errno_code(errno);
  return value;
}

Result<void> detail::apply_connect_options(int fd, const ConnectOptions& o) noexcept {
  if (o.no_delay)
    if (auto r = set_socket_option(fd, SocketOption::no_delay, 1); !r) return r;
  if (o.keep_alive)
    if (auto r = set_socket_option(fd, SocketOption::keep_alive, 1); !r) return r;
  if (o.recv_buffer > 0)
    if (auto r = set_socket_option(fd, SocketOption::recv_buffer, o.recv_buffer); !r) return r;
  if (o.send_buffer > 0)
    if (auto r = set_socket_option(fd, SocketOption::send_buffer, o.send_buffer); !r) return r;
  if (o.source && ::bind(fd, o.source->data(), o.source->size()) < 0) return errno_code(errno);
  return {};
}

Result<void> Stream::set_option(SocketOption opt, int value) noexcept {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  return set_socket_option(conn_->fd, opt, value);
}
Result<int> Stream::get_option(SocketOption opt) const noexcept {
  if (!conn_ || conn_->closed) return errc::bad_file_descriptor;
  return get_socket_option(conn_->fd, opt);
}
Result<void> Listener::set_option(SocketOption opt, int value) noexcept {
  if (!l_ || l_->drained) return errc::bad_file_descriptor;
  return set_socket_option(l_->fd, opt, value);
}
Result<int> Listener::get_option(SocketOption opt) const noexcept {
  if (!l_ || l_->drained) return errc::bad_file_descriptor;
  return get_socket_option(l_->fd, opt);
}

}  // namespace coring
