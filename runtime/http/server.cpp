// Server: the accept loop, the max_connections gate (503 and a bounded lingering close, never queue) and the shared state.
#include "coring/http/server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "coring/core/spawn.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "runtime/http/linger.hpp"
#include "runtime/http/server_state.hpp"

namespace coring::http {

namespace {

/// Past max_connections: one non-blocking send of a fixed 503 (a fresh socket's send buffer
/// always takes it), nothing waits for it.
void send_503(Stream& s) {
  static constexpr std::string_view k503 =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
      "Connection: close\r\nRetry-After: 1\r\n\r\n503 Service Unavailable\n";
  (void)::send(s.native_handle(), k503.data(), k503.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/// A rejected connection's lingering close, bounded: the request it may have sent is read and
/// dropped for a moment, so the close does not reset the 503 away. Counted in `lingering_rejects`
/// by its slot, a parameter: the count drops whether the task ends or is destroyed unstarted.
constexpr std::size_t kRejectLingerBytes = 16 * 1024;
constexpr std::chrono::milliseconds kRejectLingerMax{1000};

class RejectSlot {
 public:
  explicit RejectSlot(std::shared_ptr<detail::ServerState> st) noexcept : st_(std::move(st)) { ++st_->lingering_rejects; }
  RejectSlot(RejectSlot&&) noexcept = default;
  RejectSlot(const RejectSlot&) = delete;
  RejectSlot& operator=(const RejectSlot&) = delete;
  RejectSlot& operator=(RejectSlot&&) = delete;
  ~RejectSlot() {
    if (st_) --st_->lingering_rejects;
  }
  const detail::ServerState& state() const noexcept { return *st_; }

 private:
  std::shared_ptr<detail::ServerState> st_;
};

Task<> linger_reject(RejectSlot slot, Stream s) {
  const auto timeout = std::min(slot.state().options.linger_timeout, kRejectLingerMax);
  co_await detail::linger_close(s, timeout, kRejectLingerBytes);
}

void reject(const std::shared_ptr<detail::ServerState>& st, Stream s) {
  send_503(s);
  if (st->lingering_rejects < st->options.max_lingering_rejects) {
    spawn(linger_reject(RejectSlot(st), std::move(s)));
    return;
  }
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
      reject(st, std::move(*s));
      continue;
    }
    // Parked until its first bytes arrive: no frame until then.
    const auto header_timeout = std::chrono::nanoseconds(st->options.header_timeout);
    detail::park_connection(detail::ConnectionSlot(st), std::move(*s),
                            detail::ParkCookie::first(coring::detail::now_ns() + header_timeout.count()), header_timeout);
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
void Server::begin_drain() noexcept { state_->draining = true; }
bool Server::draining() const noexcept { return state_->draining; }
const ServerStats& Server::stats() const noexcept { return state_->stats; }
const ServerOptions& Server::options() const noexcept { return state_->options; }

}  // namespace coring::http
