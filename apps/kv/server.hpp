// The state a coring-kv process shares between shards: its options, the per-shard stores and counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "resp_parser.hpp"
#include "store.hpp"

namespace kv {

/// Command-line options.
struct Config {
  std::string bind = "0.0.0.0";
  uint16_t port = 6379;
  std::string backend = "auto";
  unsigned shards = 0;
  long max_clients = 10000;
  long idle_timeout_s = 0;  ///< 0: connections may stay idle forever
  /// Writes (SET, INCR, APPEND, MSET...) fail with -OOM once the keyspace's estimated
  /// size (Store::used_bytes, summed over shards) is above this; 0: no limit.
  uint64_t maxmemory = 0;
  /// A client whose replies not yet taken by the kernel pass this many bytes is
  /// closed (it pipelines and does not read); 0: no limit.
  uint64_t client_output_limit = 32u << 20;
  RespLimits limits;
};

/// Process-wide counters (relaxed atomics: read for INFO only).
struct Counters {
  std::atomic<int64_t> connected{0};
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> output_limit_disconnections{0};
  std::atomic<uint64_t> oom_rejections{0};
};

/// Everything a session needs. `stores[i]` is touched only by tasks running on shard i.
struct Server {
  Config cfg;
  unsigned shards = 1;
  std::vector<std::unique_ptr<Store>> stores;
  Counters counters;
  int64_t started_ms = now_ms();
  unsigned port = 0;  ///< the port actually bound

  /// The shard that owns `key` (no hashing with one shard).
  unsigned owner(std::string_view key) const noexcept { return shards == 1 ? 0 : shard_of(key, shards); }

  /// The keyspace's estimated size over every shard (relaxed reads: a snapshot).
  int64_t used_bytes() const noexcept {
    int64_t n = 0;
    for (const auto& st : stores) n += st->used_bytes();
    return n;
  }
};

/// One connection's own state.
struct Client {
  std::string name;
  bool quit = false;
};

}  // namespace kv
