// SocketAddress: numeric parsing and formatting of IPv4/IPv6 socket addresses, and Unix-domain paths.
#include "coring/net/address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <cstddef>

#include <charconv>
#include <cstring>

namespace coring {

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  if (text.starts_with("unix:")) return unix_path(text.substr(5));
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return errc::invalid_argument;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return errc::invalid_argument;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535) return errc::invalid_argument;
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  std::string h(host);
  SocketAddress a;
  if (h.find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(p));
    if (::inet_pton(AF_INET6, h.c_str(), &s6->sin6_addr) != 1) return errc::invalid_argument;
    a.len_ = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(p));
    if (::inet_pton(AF_INET, h.c_str(), &s4->sin_addr) != 1) return errc::invalid_argument;
    a.len_ = sizeof(sockaddr_in);
  }
  return a;
}

SocketAddress SocketAddress::ipv4(uint32_t host_order_addr, uint16_t port) {
  SocketAddress a;
  auto* s4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(port);
  s4->sin_addr.s_addr = htonl(host_order_addr);
  a.len_ = sizeof(sockaddr_in);
  return a;
}

Result<SocketAddress> SocketAddress::unix_path(std::string_view path) {
  SocketAddress a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  un->sun_family = AF_UNIX;
  const bool abstract = !path.empty() && path.front() == '@';
  const std::string_view name = abstract ? path.substr(1) : path;
  if (name.empty() || name.find('\0') != std::string_view::npos) return errc::invalid_argument;
  // A path needs its terminating NUL; an abstract name starts after a NUL and has none.
  if (name.size() + 1 > sizeof un->sun_path) return errc::filename_too_long;
  std::memcpy(un->sun_path + (abstract ? 1 : 0), name.data(), name.size());
  a.len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

std::string SocketAddress::path() const {
  if (!is_unix() || len_ <= offsetof(sockaddr_un, sun_path)) return {};
  const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  std::size_t n = len_ - offsetof(sockaddr_un, sun_path);
  if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, n - 1);  // abstract: exactly n - 1 bytes
  return std::string(un->sun_path, strnlen(un->sun_path, n));
}

SocketAddress SocketAddress::from(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  if (len > sizeof a.storage_) len = sizeof a.storage_;
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_UNIX) return 0;
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

void SocketAddress::set_port(uint16_t port) noexcept {
  if (family() == AF_UNIX) return;
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  else reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
}

std::string SocketAddress::to_string() const {
  if (is_unix()) return "unix:" + path();
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port());
}

}  // namespace coring
