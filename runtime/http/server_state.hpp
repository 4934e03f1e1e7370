// What a server and all its connections share: router, options and counters (kept alive by every connection).
#pragma once

#include <memory>

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

/// Serves one connection until it closes, times out or the runtime stops.
Task<> run_connection(std::shared_ptr<ServerState> state, Stream stream);

/// Splits a request-target into path and query (see Request::path).
void split_target(std::string_view target, std::string_view& path, std::string_view& query) noexcept;

}  // namespace coring::http::detail
