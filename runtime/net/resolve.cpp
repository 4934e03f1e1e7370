// resolve(): getaddrinfo (numeric at once, names on the offload pool), and the category of its errors.
#include "coring/net/resolve.hpp"

#include <netdb.h>

#include <cerrno>
#include <string>

#include "coring/core/offload.hpp"

namespace coring {

namespace {

class ResolveCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int ev) const override { return ::gai_strerror(ev); }
};

// One getaddrinfo call; `flags` adds AI_NUMERICHOST for the inline attempt.
Result<std::vector<SocketAddress>> lookup(const std::string& host, uint16_t port, int family, int flags) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc == EAI_SYSTEM) return errno_code(errno);
  if (rc != 0) return std::error_code(rc, resolve_category());
  std::vector<SocketAddress> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) out.push_back(SocketAddress::from(ai->ai_addr, ai->ai_addrlen));
  ::freeaddrinfo(res);
  return out;
}

}  // namespace

const std::error_category& resolve_category() noexcept {
  static const ResolveCategory c;
  return c;
}

Task<Result<std::vector<SocketAddress>>> resolve(std::string host, uint16_t port, int family) {
  if (host.empty()) co_return errc::invalid_argument;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto numeric = lookup(host, port, family, AI_NUMERICHOST);  // never blocks
  if (numeric || numeric.error() != std::error_code(EAI_NONAME, resolve_category())) co_return numeric;
  auto by_name = [host = std::move(host), port, family] { return lookup(host, port, family, 0); };
  co_return co_await offload(by_name);  // (named first: GCC 12 destroys a temporary lambda twice, docs/design.md)
}

}  // namespace coring
