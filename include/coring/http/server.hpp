// http::Server: serves a Router on a Listener; one per shard, each connection a coroutine with limits and timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "coring/core/task.hpp"
#include "coring/http/parser.hpp"
#include "coring/http/router.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/listener.hpp"

namespace coring::http {

/// Everything configurable about a server. The defaults are safe for a
/// server exposed to the internet.
struct ServerOptions {
  Limits limits{};  ///< request size limits (414, 431, 413)
  /// From the first byte of a request (or from accept, for the first one)
  /// until its head is complete; past it: 408 and close (slowloris).
  std::chrono::milliseconds header_timeout{10'000};
  /// From the complete head until the whole body arrived; past it: 408 and close.
  std::chrono::milliseconds body_timeout{30'000};
  /// Keep-alive: how long a connection may wait for its next request (closed silently).
  std::chrono::milliseconds idle_timeout{60'000};
  /// Connections that may wait for their next request (or their first) inside their
  /// coroutine frame, ready to go on at once. Past this number, and after `park_after` of
  /// waiting, a waiting connection is parked instead (coring::park()): its frame, output
  /// buffer and header-field array go, and only the socket's record stays (see
  /// docs/c10k.md); its next bytes start a new task for it. 0 parks every waiting connection.
  std::uint32_t idle_frames = 128;
  /// How long a connection may wait in its frame before it is parked.
  std::chrono::milliseconds park_after{1'000};
  /// For one batch of responses to be sent; past it the connection is dropped.
  std::chrono::milliseconds send_timeout{30'000};
  /// After a response that closes the connection: how long to keep reading
  /// (and discarding) so the client sees the response rather than a reset.
  std::chrono::milliseconds linger_timeout{1'000};
  /// Open connections on this server; a connection past it gets 503 and is closed (see below).
  std::uint32_t max_connections = 10'000;
  /// Rejected connections (the 503 past max_connections) closed lingering at once: each reads and
  /// drops what its client sends for at most min(linger_timeout, 1 s) and 16 KiB, so that a
  /// client that already sent its request reads the 503 rather than a reset. Past this number a
  /// rejected connection is closed right after the 503 (cheap, but that client may see a reset).
  std::uint32_t max_lingering_rejects = 64;
  /// Requests served on one connection before it is closed (0: no limit).
  std::uint32_t max_requests_per_connection = 10'000;
  /// Responses queued while pipelined requests are handled; past it they are sent early.
  std::size_t max_batch_bytes = 64 * 1024;
  /// The Server header field ("" leaves it out).
  std::string server_name = "coring";
};

namespace detail {
struct ServerState;
}

/// An HTTP/1.1 server for one shard. Start one per shard, each with its own
/// Listener (SO_REUSEPORT) and a copy of the router:
///
///     http::Server server(router, {});
///     spawn(server.serve(std::move(listener)));
///
/// Connections keep the server's state alive, so the Server object itself
/// may go away before they finish.
class Server {
 public:
  explicit Server(Router router, ServerOptions options = {});
  ~Server();
  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;

  /// Accepts connections until cancelled; each one runs as a spawned task.
  Task<> serve(Listener listener);
  /// Starts a drain period (before Runtime::shutdown): the listener stays open and every
  /// request is still served, but each response now closes its connection
  /// (`Connection: close`), so clients and load balancers move to other servers. Call it on
  /// the server's shard; there is no way back.
  void begin_drain() noexcept;
  bool draining() const noexcept;
  const ServerStats& stats() const noexcept;
  const ServerOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace coring::http
