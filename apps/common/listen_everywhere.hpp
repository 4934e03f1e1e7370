// Starts a server's listener on every shard: shard 0 binds first, then every other shard joins its port.
#pragma once

#include <cstdio>
#include <string>

#include "coring/coring.hpp"

namespace coring::apps {

/// Calls `start(addr)` on shard 0 (the calling task's shard), then on every other
/// shard with the address shard 0 got, so that port 0 becomes one real port that
/// every shard's SO_REUSEPORT listener shares. `start` binds and serves on the
/// calling shard and returns the bound address (`Result<SocketAddress>`).
/// On a failure it prints one line naming `app`, the address and the shard, and
/// returns the error; otherwise the address every shard listens on.
template <class Start>
Task<Result<SocketAddress>> listen_on_every_shard(const char* app, SocketAddress addr, Start start) {
  auto first = start(addr);
  if (!first) {
    std::fprintf(stderr, "%s: cannot listen on %s: %s\n", app, addr.to_string().c_str(),
                 first.error().message().c_str());
    co_return first.error();
  }
  const SocketAddress bound = *first;
  // A named lambda: GCC 12 destroys a temporary with a non-trivial capture
  // twice when it sits in a co_await expression.
  auto join = [&start, bound](unsigned shard) -> Result<SocketAddress> {
    if (shard == 0) return bound;
    return start(bound);
  };
  auto results = co_await on_all_shards(join);
  for (unsigned i = 0; i < results.size(); ++i) {
    if (!results[i]) {
      std::fprintf(stderr, "%s: cannot listen on %s (shard %u): %s\n", app, bound.to_string().c_str(), i,
                   results[i].error().message().c_str());
      co_return results[i].error();
    }
  }
  co_return bound;
}

}  // namespace coring::apps
