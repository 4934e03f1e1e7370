// What a server and all its connections share: router, options, counters and the response head cache (kept alive by every connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "coring/http/router.hpp"
#include "coring/http/server.hpp"
#include "coring/http/stats.hpp"
#include "coring/net/stream.hpp"
#include "runtime/http/response_writer.hpp"

namespace coring::http::detail {

struct ServerState : std::enable_shared_from_this<ServerState> {
  Router router;
  ServerOptions options;
  ServerStats stats;
  HeadCache heads{""};  ///< set from options.server_name when the server is made
  std::uint32_t lingering_rejects = 0;  ///< rejected (503) connections in their lingering close
  std::uint32_t idle_frames = 0;        ///< connections waiting for a request in their frame
  bool draining = false;                ///< Server::begin_drain(): every response closes its connection
  /// Held while any connection is parked (stats.connections_parked > 0): a parked connection
  /// holds a plain pointer to this state, 8 bytes instead of a shared_ptr's 16.
  std::shared_ptr<ServerState> kept_by_parked;
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

  /// Hands this slot (its place under max_connections and its reference) to a parked
  /// connection, which keeps only the returned pointer; unpark() takes it back.
  ServerState* park() && noexcept {
    ServerState* st = st_.get();
    if (st->stats.connections_parked++ == 0) st->kept_by_parked = std::move(st_);
    else st_.reset();
    return st;
  }
  static ConnectionSlot unpark(ServerState& st) noexcept {
    ConnectionSlot s;
    s.st_ = --st.stats.connections_parked == 0 ? std::move(st.kept_by_parked) : st.kept_by_parked;
    return s;
  }

 private:
  ConnectionSlot() noexcept = default;
  std::shared_ptr<ServerState> st_;
};

/// What a parked connection remembers (ParkOptions::cookie): the requests it served, or, for
/// one that has served none, its header deadline (steady-clock ns), marked by the top bit.
struct ParkCookie {
  static constexpr std::uint64_t kFirst = std::uint64_t{1} << 63;
  static std::uint64_t served(std::uint32_t n) noexcept { return n; }
  static std::uint64_t first(std::int64_t header_deadline) noexcept {
    return kFirst | static_cast<std::uint64_t>(header_deadline);
  }
  static bool is_first(std::uint64_t c) noexcept { return (c & kFirst) != 0; }
  static std::int64_t header_deadline(std::uint64_t c) noexcept { return static_cast<std::int64_t>(c & ~kFirst); }
};

/// Parks a connection waiting for a request (its next, or with ParkCookie::first its first)
/// for at most `timeout`: when bytes arrive a run_connection task starts for it.
void park_connection(ConnectionSlot slot, Stream s, std::uint64_t cookie, std::chrono::nanoseconds timeout);
/// park_connection() for run_connection, out of line (its frame's code stays small): a
/// connection that served `served` requests, else one whose first request is due by
/// `header_deadline`, for `timeout` (the header deadline decides for a first request).
[[gnu::noinline]] void park_idle(ConnectionSlot& slot, Stream& s, std::uint32_t served, std::int64_t header_deadline,
                                 std::chrono::nanoseconds timeout);
/// Whether received bytes already wait on `s` (its next recv() would not wait).
[[gnu::noinline]] bool has_queued(Stream& s) noexcept;

/// Serves one connection until it closes, times out, parks or the runtime stops; `cookie`
/// as ParkCookie says.
Task<> run_connection(ConnectionSlot slot, Stream stream, std::uint64_t cookie);

/// Splits a request-target into path and query (see Request::path).
void split_target(std::string_view target, std::string_view& path, std::string_view& query) noexcept;

}  // namespace coring::http::detail
