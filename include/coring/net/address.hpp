// SocketAddress: an IPv4 or IPv6 address and port, parsed from "host:port" text.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

#include "coring/result.hpp"

namespace coring {

class SocketAddress {
 public:
  SocketAddress() = default;
  /// Parses "1.2.3.4:80", "[::1]:80", ":80" (any IPv4 address) or "localhost:80".
  /// Numeric only: no DNS on the event loop.
  static Result<SocketAddress> parse(std::string_view text);
  static SocketAddress ipv4(uint32_t host_order_addr, uint16_t port);
  static SocketAddress from(const sockaddr* sa, socklen_t len);

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return len_; }
  int family() const noexcept { return storage_.ss_family; }
  uint16_t port() const noexcept;
  void set_port(uint16_t port) noexcept;
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace coring
