// What a server and all its connections share: router, options and counters (kept alive by every connection).
#pragma once

#include <memory>
#include <utility>

#include "coring/http/router.hpp"
#include "coring/http/server.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/stream.hpp"

namespace coring::http::detail {

struct ServerState {
  Router router;
  ServerOptions options;
  ServerStats stats;
};

/// One place under max_connections, taken by the accept loop before the connection's task is
/// spawned (so a burst of accepts cannot overshoot) and given back when that task's frame goes,
/// whether it ran to its end or was destroyed unstarted at shutdown.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerStats& s) noexcept : s_(&s) { ++s.connections_active; }
  ConnectionSlot(ConnectionSlot&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (s_) --s_->connections_active;
  }

 private:
  ServerStats* s_;
};

/// Serves one connection until it closes, times out or the runtime stops.
Task<> run_connection(std::shared_ptr<ServerState> state, Stream stream, ConnectionSlot slot);

/// Splits a request-target into path and query (see Request::path).
void split_target(std::string_view target, std::string_view& path, std::string_view& query) noexcept;

}  // namespace coring::http::detail
