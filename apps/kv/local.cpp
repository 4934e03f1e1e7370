// Commands that touch no key: PING, ECHO, QUIT, SELECT, COMMAND, CLIENT, CONFIG, and INFO's text.
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <fmt/format.h>
#include <utility>

#include "commands.hpp"
#include "coring/version.hpp"
#include "glob.hpp"
#include "reply.hpp"

namespace kv {

using namespace coring;
namespace {

void client(Client& c, Args a, std::string& out) {
  if (iequals(a[1], "setname") && a.size() == 3) {
    for (char ch : a[2])
      if (ch <= ' ' || ch > '~')
        return reply::error(out, "ERR Client names cannot contain spaces, newlines or special characters.");
    c.name = a[2];
    return reply::ok(out);
  }
  if (iequals(a[1], "getname") && a.size() == 2) return c.name.empty() ? reply::nil(out) : reply::bulk(out, c.name);
  if (iequals(a[1], "setinfo") && a.size() == 4) return reply::ok(out);
  if (iequals(a[1], "setname") || iequals(a[1], "getname") || iequals(a[1], "setinfo"))
    return reply::error(out, "ERR wrong number of arguments for 'client|" + std::string(a[1]) + "' command");
  reply::error(out, "ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) + "'. Try CLIENT HELP.");
}

void config(Server& srv, Args a, std::string& out) {
  if (!iequals(a[1], "get")) return reply::error(out, "ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) + "'. Try CONFIG HELP.");
  if (a.size() < 3) return reply::error(out, "ERR wrong number of arguments for 'config|get' command");
  const Config& c = srv.cfg;
  const std::string out_limit = std::to_string(c.client_output_limit);
  const std::array<std::pair<std::string_view, std::string>, 11> known{{
      {"maxmemory", std::to_string(c.maxmemory)},
      {"maxmemory-policy", "noeviction"},
      {"save", ""},
      {"appendonly", "no"},
      {"databases", "1"},
      {"maxclients", std::to_string(c.max_clients)},
      {"timeout", std::to_string(c.idle_timeout_s)},
      {"proto-max-bulk-len", std::to_string(c.limits.max_bulk)},
      {"proto-max-multibulk-len", std::to_string(c.limits.max_array)},  // coring-kv's own: Redis has no such key
      {"client-output-buffer-limit", "normal " + out_limit + " 0 0 replica 0 0 0 pubsub " + out_limit + " 0 0"},
      {"client-query-buffer-limit", std::to_string(c.limits.max_request)},
  }};
  std::vector<const std::pair<std::string_view, std::string>*> hits;
  for (const auto& kvp : known)
    for (std::size_t i = 2; i < a.size(); ++i)
      if (glob_match(a[i], kvp.first)) {
        hits.push_back(&kvp);
        break;
      }
  reply::array(out, hits.size() * 2);
  for (const auto* h : hits) reply::bulk(out, h->first), reply::bulk(out, h->second);
}

}  // namespace

void run_local(Server& srv, Client& c, Cmd id, Args a, std::string& out) {
  switch (id) {
    case Cmd::ping:
      if (a.size() > 2) return reply::error(out, "ERR wrong number of arguments for 'ping' command");
      return a.size() == 2 ? reply::bulk(out, a[1]) : reply::simple(out, "PONG");
    case Cmd::echo: return reply::bulk(out, a[1]);
    case Cmd::quit: c.quit = true; return reply::ok(out);
    case Cmd::select: {
      int64_t db = 0;
      if (!parse_int64(a[1], db)) return reply::error(out, reply::not_integer);
      return db == 0 ? reply::ok(out) : reply::error(out, "ERR DB index is out of range");
    }
    case Cmd::command:
      // Enough for redis-cli and client libraries: a count, and empty docs and info.
      if (a.size() >= 2 && iequals(a[1], "count")) return reply::integer(out, static_cast<int64_t>(command_count()));
      return reply::array(out, 0);
    case Cmd::client: return client(c, a, out);
    case Cmd::config: return config(srv, a, out);
    default: return reply::error(out, "ERR internal: not a local command");
  }
}

Task<> run_info(Server& srv, Args a, std::string& out) {
  auto wants = [&](std::string_view section) {
    if (a.size() == 1) return true;
    for (std::size_t i = 1; i < a.size(); ++i)
      if (iequals(a[i], section) || iequals(a[i], "all") || iequals(a[i], "default") || iequals(a[i], "everything")) return true;
    return false;
  };
  struct ShardInfo { int64_t keys, expires; uint64_t expired, hits, misses; };
  auto shards = co_await on_all_shards([&srv](unsigned s) {
    const Store& st = *srv.stores[s];
    return ShardInfo{static_cast<int64_t>(st.size()), static_cast<int64_t>(st.volatile_count()), st.expired_keys, st.hits,
                     st.misses};
  });
  ShardInfo t{0, 0, 0, 0, 0};
  for (const ShardInfo& s : shards)
    t.keys += s.keys, t.expires += s.expires, t.expired += s.expired, t.hits += s.hits, t.misses += s.misses;
  const Counters& k = srv.counters;
  std::string text;
  auto it = std::back_inserter(text);
  if (wants("server"))
    fmt::format_to(it,
                   "# Server\r\nredis_version:7.0.0\r\ncoring_version:{}\r\nredis_mode:standalone\r\nprocess_id:{}\r\n"
                   "tcp_port:{}\r\nuptime_in_seconds:{}\r\nshards:{}\r\n\r\n",
                   coring::version(), ::getpid(), srv.port, (now_ms() - srv.started_ms) / 1000, srv.shards);
  if (wants("clients"))
    fmt::format_to(it, "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\n\r\n", k.connected.load(), srv.cfg.max_clients);
  if (wants("memory")) {
    // used_memory is the keyspace estimate that maxmemory is compared with; the allocator's own count beside it.
    const struct mallinfo2 m = ::mallinfo2();
    fmt::format_to(it,
                   "# Memory\r\nused_memory:{}\r\nused_memory_allocator:{}\r\nmaxmemory:{}\r\n"
                   "maxmemory_policy:noeviction\r\n\r\n",
                   srv.used_bytes(), m.uordblks + m.hblkhd, srv.cfg.maxmemory);
  }
  if (wants("stats"))
    fmt::format_to(it,
                   "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\n"
                   "expired_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\n"
                   "client_output_buffer_limit_disconnections:{}\r\ntotal_oom_rejections:{}\r\n\r\n",
                   k.connections_received.load(), k.commands_processed.load(), k.rejected_connections.load(), t.expired,
                   t.hits, t.misses, k.output_limit_disconnections.load(), k.oom_rejections.load());
  if (wants("keyspace")) {
    text += "# Keyspace\r\n";
    if (t.keys > 0) fmt::format_to(it, "db0:keys={},expires={},avg_ttl=0\r\n", t.keys, t.expires);
  }
  reply::bulk(out, text);
}

}  // namespace kv
