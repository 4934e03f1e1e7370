// SocketAddress: an IPv4 or IPv6 address and port, or a Unix-domain socket path, parsed from text.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

#include "coring/result.hpp"

namespace coring {

/// A socket address: IPv4 or IPv6 with a port, or a Unix-domain socket
/// (AF_UNIX): a file-system path, or a name in Linux's abstract namespace,
/// written "@name" (no file; it goes away with the last socket using it).
class SocketAddress {
 public:
  SocketAddress() = default;
  /// Parses "1.2.3.4:80", "[::1]:80", ":80" (any IPv4 address), "localhost:80",
  /// or a Unix-domain address "unix:/run/app.sock" / "unix:@name".
  /// Numeric only: no DNS on the event loop (see resolve()).
  static Result<SocketAddress> parse(std::string_view text);
  static SocketAddress ipv4(uint32_t host_order_addr, uint16_t port);
  /// A Unix-domain address: a path ("/run/app.sock", relative paths too) or
  /// "@name" for the abstract namespace. `filename_too_long` past 107 bytes
  /// (108 for an abstract name), `invalid_argument` when empty or holding a NUL.
  static Result<SocketAddress> unix_path(std::string_view path);
  static SocketAddress from(const sockaddr* sa, socklen_t len);

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return len_; }
  int family() const noexcept { return storage_.ss_family; }
  bool is_unix() const noexcept { return family() == AF_UNIX; }
  /// The Unix-domain path ("@name" for an abstract one; empty for an unnamed
  /// socket, such as the client end of a connection, or for IP addresses).
  std::string path() const;
  /// The port (0 for a Unix-domain address).
  uint16_t port() const noexcept;
  /// Sets the port (nothing for a Unix-domain address).
  void set_port(uint16_t port) noexcept;
  /// "1.2.3.4:80", "[::1]:80", "unix:/run/app.sock", "unix:@name" ("unix:" when unnamed).
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace coring
