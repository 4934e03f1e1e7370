// Server: the accept loop, the max_connections gate (503 and close, never queue) and the shared state.
#include "coring/http/server.hpp"

#include <sys/socket.h>

#include "coring/core/spawn.hpp"
#include "runtime/http/server_state.hpp"

namespace coring::http {

namespace {

/// Past max_connections: one non-blocking send of a fixed 503, then close. Nothing waits.
void reject(Stream& s) {
  static constexpr std::string_view k503 =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
      "Connection: close\r\nRetry-After: 1\r\n\r\n503 Service Unavailable\n";
  const int fd = s.native_handle();
  (void)::send(fd, k503.data(), k503.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  (void)s.shutdown(ShutdownHow::write);
  s.close();
}

Task<> accept_loop(std::shared_ptr<detail::ServerState> st, Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;  // cancelled: the runtime is stopping
    ++st->stats.connections_accepted;
    if (st->stats.connections_active >= st->options.max_connections) {
      ++st->stats.connections_rejected;
      reject(*s);
      continue;
    }
    spawn(detail::run_connection(detail::ConnectionSlot(st), std::move(*s)));
  }
}

}  // namespace

Server::Server(Router router, ServerOptions options) : state_(std::make_shared<detail::ServerState>()) {
  state_->router = std::move(router);
  state_->options = std::move(options);
  state_->heads = detail::HeadCache(state_->options.server_name);
}
Server::~Server() = default;
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;

Task<> Server::serve(Listener listener) { return accept_loop(state_, std::move(listener)); }
const ServerStats& Server::stats() const noexcept { return state_->stats; }
const ServerOptions& Server::options() const noexcept { return state_->options; }

}  // namespace coring::http
