// What a server and all its connections share: router, options, counters and the response head cache (kept alive by every connection).
#pragma once

#include <memory>
#include <utility>

#include "coring/http/router.hpp"
#include "coring/http/server.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/stream.hpp"
#include "runtime/http/response_writer.hpp"

namespace coring::http::detail {

struct ServerState {
  Router router;
  ServerOptions options;
  ServerStats stats;
  HeadCache heads{""};  ///< set from options.server_name when the server is made
  std::uint32_t lingering_rejects = 0;  ///< rejected (503) connections in their lingering close
};

/// One place under max_connections, and a reference on the server's state. The accept loop
/// takes it before the connection's task is spawned (so a burst of accepts cannot overshoot);
/// it goes back when that task's frame goes, whether the task ran to its end or was destroyed
/// unstarted at shutdown. It owns the state it counts in, so no destruction order can break it.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerState> st) noexcept : st_(std::move(st)) {
    ++st_->stats.connections_active;
  }
  ConnectionSlot(ConnectionSlot&& o) noexcept = default;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (st_) --st_->stats.connections_active;
  }
  ServerState& state() const noexcept { return *st_; }

 private:
  std::shared_ptr<ServerState> st_;
};

/// Serves one connection until it closes, times out or the runtime stops.
Task<> run_connection(ConnectionSlot slot, Stream stream);

/// Splits a request-target into path and query (see Request::path).
void split_target(std::string_view target, std::string_view& path, std::string_view& query) noexcept;

}  // namespace coring::http::detail
