// Stream::connect(host, port): resolve the name, then try its addresses in order.
#include "coring/net/resolve.hpp"
#include "coring/net/stream.hpp"

namespace coring {

Task<Result<Stream>> Stream::connect(std::string host, uint16_t port, ConnectOptions opts) {
  auto addrs = co_await resolve(std::move(host), port);
  if (!addrs) co_return addrs.error();
  std::error_code last = std::make_error_code(errc::host_unreachable);  // (getaddrinfo never returns an empty list)
  for (const SocketAddress& a : *addrs) {
    auto s = co_await connect(a, opts);
    if (s) co_return std::move(*s);
    last = s.error();
    if (last == errc::operation_canceled) break;
  }
  co_return last;
}

}  // namespace coring
