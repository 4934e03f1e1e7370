// The command table and execution: which shard(s) a command runs on, and the code that runs there.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coring/coring.hpp"
#include "server.hpp"

namespace kv {

using coring::Task;

/// A request's arguments, the command name first. Views into the received bytes
/// (or the parser's copy): valid while the request runs, not after.
using Args = std::span<const std::string_view>;

enum class Cmd {
  ping, echo, quit, select, command, client, config, info,
  get, set, getset, type, incr, incrby, decr, decrby, append, strlen, getrange, setrange,
  expire, pexpire, ttl, pttl, persist,
  del, exists, mget, mset,
  keys, scan, dbsize, flushdb, flushall,
};

/// Where a command runs.
enum class Route {
  local,   ///< on the connection's shard, no key
  keyed,   ///< on the shard owning args[1]
  multi,   ///< split by key over the owning shards, results gathered in order
  all,     ///< on every shard (or, for SCAN, on the shard the cursor names)
};

struct CommandSpec {
  std::string_view name;  ///< lower case
  int arity;              ///< Redis style: n exactly, -n at least n (the name counts)
  Route route;
  Cmd id;
  bool write = false;     ///< may grow the keyspace: refused with -OOM above maxmemory
};

/// The spec of `name` (any case), or nullptr.
const CommandSpec* find_command(std::string_view name) noexcept;
std::size_t command_count() noexcept;

/// Runs a keyed command on the store of the key's shard (the caller is on that shard).
void run_keyed(Store& st, const Config& cfg, Cmd id, Args args, std::string& out);

/// Runs the request `args` and appends its reply to `out`. Gives false, having
/// done nothing, when the request needs other shards: then await `execute_spread`.
bool execute_now(Server& srv, Client& c, Args args, std::string& out);
Task<> execute_spread(Server& srv, Client& c, Args args, std::string& out);

/// A keyed request bound for another shard, kept for a batch (execute_batch):
/// a copy of its arguments, since the received bytes go before the batch runs.
struct Remote {
  Cmd id;
  std::string bytes;                   // the arguments one after another
  std::vector<std::string_view> args;  // views into bytes
  void assign(Cmd cmd, Args a);
};

/// When `args` is a keyed request that execute_now would send to another shard (known, arity
/// right, not refused for memory), that shard, with the command in `id`; else -1 (and nothing
/// is done: use execute_now). Pipelined requests for one shard then travel as one batch.
int remote_shard(Server& srv, Args args, Cmd& id) noexcept;
/// Runs `batch` (requests remote_shard sent to `shard`) there in order; replies go to `out`.
Task<> execute_batch(Server& srv, unsigned shard, std::span<const Remote> batch, std::string& out);

/// Commands that need no store: PING, ECHO, QUIT, SELECT, COMMAND, CLIENT, CONFIG.
void run_local(Server& srv, Client& c, Cmd id, Args args, std::string& out);
/// INFO [section...]: gathers the keyspace from every shard.
Task<> run_info(Server& srv, Args args, std::string& out);

/// Strict decimal int64 like Redis's string2ll.
bool parse_int64(std::string_view s, int64_t& out) noexcept;
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace kv
