// Socket options: the few a server tunes (TCP_NODELAY, SO_KEEPALIVE, buffer sizes), and what Stream::connect can set.
#pragma once

#include <optional>

#include "coring/net/address.hpp"
#include "coring/result.hpp"

namespace coring {

/// A socket option, set and read as an int (0 or 1 for the flags).
enum class SocketOption {
  no_delay,      ///< TCP_NODELAY: send small segments at once (no Nagle delay)
  keep_alive,    ///< SO_KEEPALIVE: probe an idle connection
  recv_buffer,   ///< SO_RCVBUF: the kernel's receive buffer; reading it back gives what the kernel chose (Linux doubles it)
  send_buffer,   ///< SO_SNDBUF: the kernel's send buffer (read back likewise)
  reuse_address, ///< SO_REUSEADDR
};

/// Sets `opt` on a socket descriptor; errors are the kernel's (`bad_file_descriptor`, ...).
Result<void> set_socket_option(int fd, SocketOption opt, int value) noexcept;
/// Reads `opt` from a socket descriptor.
Result<int> get_socket_option(int fd, SocketOption opt) noexcept;

/// Options of Stream::connect, applied to the socket before it connects.
struct ConnectOptions {
  /// Local address to bind to first (port 0: any free port).
  std::optional<SocketAddress> source;
  bool no_delay = false;    ///< TCP_NODELAY
  bool keep_alive = false;  ///< SO_KEEPALIVE
  int recv_buffer = 0;      ///< SO_RCVBUF in bytes; 0 keeps the system's default
  int send_buffer = 0;      ///< SO_SNDBUF in bytes; 0 keeps the system's default
};

namespace detail {
/// Applies `opts` to a fresh, not yet connected socket.
Result<void> apply_connect_options(int fd, const ConnectOptions& opts) noexcept;
}  // namespace detail

}  // namespace coring
