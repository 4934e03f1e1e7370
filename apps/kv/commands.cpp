// Command dispatch: arity and unknown-command errors, routing by key shard, and fan-out/gather for multi-key and keyspace commands.
#include "commands.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "reply.hpp"

namespace kv {

using namespace coring;
namespace {

constexpr std::array<CommandSpec, 34> table{{
    {"ping", -1, Route::local, Cmd::ping},          {"echo", 2, Route::local, Cmd::echo},
    {"quit", -1, Route::local, Cmd::quit},          {"select", 2, Route::local, Cmd::select},
    {"command", -1, Route::local, Cmd::command},    {"client", -2, Route::local, Cmd::client},
    {"config", -2, Route::local, Cmd::config},      {"info", -1, Route::all, Cmd::info},
    {"get", 2, Route::keyed, Cmd::get},             {"set", -3, Route::keyed, Cmd::set, true},
    {"getset", 3, Route::keyed, Cmd::getset, true},       {"type", 2, Route::keyed, Cmd::type},
    {"incr", 2, Route::keyed, Cmd::incr, true},           {"incrby", 3, Route::keyed, Cmd::incrby, true},
    {"decr", 2, Route::keyed, Cmd::decr, true},           {"decrby", 3, Route::keyed, Cmd::decrby, true},
    {"append", 3, Route::keyed, Cmd::append, true},       {"strlen", 2, Route::keyed, Cmd::strlen},
    {"getrange", 4, Route::keyed, Cmd::getrange},   {"setrange", 4, Route::keyed, Cmd::setrange, true},
    {"expire", -3, Route::keyed, Cmd::expire},      {"pexpire", -3, Route::keyed, Cmd::pexpire},
    {"ttl", 2, Route::keyed, Cmd::ttl},             {"pttl", 2, Route::keyed, Cmd::pttl},
    {"persist", 2, Route::keyed, Cmd::persist},     {"del", -2, Route::multi, Cmd::del},
    {"exists", -2, Route::multi, Cmd::exists},      {"mget", -2, Route::multi, Cmd::mget},
    {"mset", -3, Route::multi, Cmd::mset, true},          {"keys", 2, Route::all, Cmd::keys},
    {"scan", -2, Route::all, Cmd::scan},            {"dbsize", 1, Route::all, Cmd::dbsize},
    {"flushdb", -1, Route::all, Cmd::flushdb},      {"flushall", -1, Route::all, Cmd::flushall},
}};

static_assert(table.size() <= 64, "find_command's index holds one bit per command");

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

void unknown_command(Args a, std::string& out) {
  // Redis's text: the name and the first arguments, each quoted, at most about 128 bytes of them.
  std::string text = "ERR unknown command '" + std::string(a[0].substr(0, 128)) + "', with args beginning with: ";
  std::string args;
  for (std::size_t i = 1; i < a.size() && args.size() < 128; ++i) args += "'" + std::string(a[i].substr(0, 128 - args.size())) + "' ";
  text += args;
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  reply::error(out, text);
}

bool arity_ok(const CommandSpec& c, std::size_t n) noexcept {
  return c.arity >= 0 ? n == static_cast<std::size_t>(c.arity) : n >= static_cast<std::size_t>(-c.arity);
}

// The keys of a multi-key command and the index of each in the request.
std::size_t key_step(Cmd id) noexcept { return id == Cmd::mset ? 2 : 1; }

// What one shard does for its share of a multi-key command: `idx` are argument positions of keys.
struct Part {
  std::vector<std::string> replies;  // MGET: one encoded reply per key
  int64_t count = 0;                 // DEL, EXISTS
};

// One key of a multi-key command, argument a[i]: DEL and EXISTS add to `count`, MGET appends its reply to `out`.
void one_key(Store& st, Cmd id, Args a, std::size_t i, int64_t now, int64_t& count, std::string& out) {
  switch (id) {
    case Cmd::del: count += st.erase(a[i], now); break;
    case Cmd::exists: count += st.find(a[i], now) != nullptr; break;
    case Cmd::mget: {
      Entry* e = st.find(a[i], now);
      ++(e ? st.hits : st.misses);
      e ? reply::bulk(out, e->value) : reply::nil(out);
      break;
    }
    case Cmd::mset: {
      Entry& e = st.upsert(a[i], now);
      st.assign(e, a[i + 1]);
      st.set_expiry(a[i], e, 0);
      break;
    }
    default: break;
  }
}

Part run_part(Store& st, Cmd id, Args a, const std::vector<uint32_t>& idx) {
  Part p;
  const int64_t now = now_ms();
  std::string none;
  for (uint32_t i : idx) {
    if (id == Cmd::mget) p.replies.emplace_back();
    one_key(st, id, a, i, now, p.count, id == Cmd::mget ? p.replies.back() : none);
  }
  return p;
}

// A multi-key command whose keys are all on this shard: run in order, the reply appended to `out` as it goes.
void run_multi_here(Store& st, Cmd id, Args a, std::string& out) {
  const int64_t now = now_ms();
  int64_t count = 0;
  if (id == Cmd::mget) reply::array(out, a.size() - 1);
  for (std::size_t i = 1; i < a.size(); i += key_step(id)) one_key(st, id, a, i, now, count, out);
  if (id == Cmd::mset) reply::ok(out);
  else if (id != Cmd::mget) reply::integer(out, count);
}

void gather(Cmd id, Args a, const std::vector<std::vector<uint32_t>>& idx, std::vector<Part>& parts,
            std::string& out) {
  if (id == Cmd::mset) return reply::ok(out);
  if (id != Cmd::mget) {
    int64_t n = 0;
    for (const Part& p : parts) n += p.count;
    return reply::integer(out, n);
  }
  // Put each shard's replies back at their keys' positions.
  std::vector<std::string_view> at(a.size());
  for (std::size_t s = 0; s < idx.size(); ++s)
    for (std::size_t k = 0; k < idx[s].size(); ++k) at[idx[s][k]] = parts[s].replies[k];
  reply::array(out, a.size() - 1);
  for (std::size_t i = 1; i < a.size(); ++i) out += at[i];
}

Task<> run_multi(Server& srv, Cmd id, Args a, std::string& out) {
  std::vector<std::vector<uint32_t>> idx(srv.shards);
  for (std::size_t i = 1; i < a.size(); i += key_step(id)) idx[shard_of(a[i], srv.shards)].push_back(static_cast<uint32_t>(i));
  std::vector<Task<Part>> calls;
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < srv.shards; ++s) {
    if (idx[s].empty()) continue;
    shards.push_back(s);
    calls.push_back(submit_to(s, [&srv, id, a, &keys = idx[s], s] { return run_part(*srv.stores[s], id, a, keys); }));
  }
  std::vector<Part> got = co_await when_all(std::move(calls));
  std::vector<Part> parts(srv.shards);
  for (std::size_t k = 0; k < shards.size(); ++k) parts[shards[k]] = std::move(got[k]);
  gather(id, a, idx, parts, out);
}

Task<> run_scan(Server& srv, Args a, std::string& out) {
  uint64_t cursor = 0;
  std::string_view pattern;
  int64_t count = 10;
  bool other_type = false;  // TYPE hash, list...: no key here has it
  int64_t c = 0;
  if (!parse_int64(a[1], c) || c < 0) co_return reply::error(out, "ERR invalid cursor");
  cursor = static_cast<uint64_t>(c);
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) co_return reply::error(out, reply::syntax);
    if (iequals(a[i], "match")) pattern = a[i + 1] == "*" ? std::string_view() : std::string_view(a[i + 1]);
    else if (iequals(a[i], "count")) {
      if (!parse_int64(a[i + 1], count)) co_return reply::error(out, reply::not_integer);
      if (count < 1) co_return reply::error(out, reply::syntax);
    } else if (iequals(a[i], "type")) {
      other_type = !iequals(a[i + 1], "string");
    } else co_return reply::error(out, reply::syntax);
  }
  if (other_type) {
    out += "*2\r\n$1\r\n0\r\n*0\r\n";
    co_return;
  }
  count = std::min<int64_t>(count, 100000);  // bounds one reply
  // The cursor names a shard (low part) and a bucket in it (high part).
  const unsigned shard = static_cast<unsigned>(cursor % srv.shards);
  const uint64_t bucket = cursor / srv.shards;
  struct Page { std::vector<std::string> keys; uint64_t next; };
  Page page = co_await submit_to(shard, [&srv, shard, bucket, count, pattern] {
    Page p;
    p.next = srv.stores[shard]->scan(bucket, static_cast<std::size_t>(count), pattern, now_ms(), p.keys);
    return p;
  });
  uint64_t next = 0;
  if (page.next != 0) next = page.next * srv.shards + shard;
  else if (shard + 1 < srv.shards) next = shard + 1;
  reply::array(out, 2);
  reply::bulk(out, std::to_string(next));
  reply::array(out, page.keys.size());
  for (const std::string& k : page.keys) reply::bulk(out, k);
}

Task<> run_all(Server& srv, Cmd id, Args a, std::string& out) {
  switch (id) {
    case Cmd::dbsize: {
      auto sizes = co_await on_all_shards([&srv](unsigned s) { return static_cast<int64_t>(srv.stores[s]->size()); });
      int64_t n = 0;
      for (int64_t v : sizes) n += v;
      co_return reply::integer(out, n);
    }
    case Cmd::flushdb:
    case Cmd::flushall: {
      if (a.size() > 2 || (a.size() == 2 && !iequals(a[1], "sync") && !iequals(a[1], "async")))
        co_return reply::error(out, reply::syntax);
      co_await on_all_shards([&srv](unsigned s) { srv.stores[s]->clear(); });
      co_return reply::ok(out);
    }
    case Cmd::keys: {
      std::string_view pattern = a[1];
      auto lists = co_await on_all_shards([&srv, pattern](unsigned s) {
        std::vector<std::string> keys;
        srv.stores[s]->keys(pattern, now_ms(), keys);
        return keys;
      });
      std::size_t n = 0;
      for (auto& l : lists) n += l.size();
      reply::array(out, n);
      for (auto& l : lists)
        for (auto& k : l) reply::bulk(out, k);
      co_return;
    }
    case Cmd::scan: co_return co_await run_scan(srv, a, out);
    case Cmd::info: co_return co_await run_info(srv, a, out);
    default: co_return reply::error(out, "ERR internal: not a keyspace command");
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool parse_int64(std::string_view s, int64_t& out) noexcept {
  if (s.empty() || s.size() > 20) return false;
  const bool neg = s[0] == '-';
  std::string_view d = neg ? s.substr(1) : s;
  if (d.empty() || (d[0] == '0' && d.size() > 1) || (neg && d == "0")) return false;
  uint64_t v = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
    if (v > (std::numeric_limits<uint64_t>::max() - (c - '0')) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = neg ? uint64_t(std::numeric_limits<int64_t>::max()) + 1 : uint64_t(std::numeric_limits<int64_t>::max());
  if (v > limit) return false;
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

const CommandSpec* find_command(std::string_view name) noexcept {
  // Candidates by length and first letter (a handful at most), then one comparison each.
  struct Index {
    std::array<std::array<uint64_t, 26>, 17> by;  // bit i: table[i] has this length and first letter
    Index() : by{} {
      for (std::size_t i = 0; i < table.size(); ++i) by[table[i].name.size()][table[i].name[0] - 'a'] |= uint64_t(1) << i;
    }
  };
  static const Index index;
  if (name.empty() || name.size() > 16) return nullptr;
  const char first = lower(name[0]);
  if (first < 'a' || first > 'z') return nullptr;
  char buf[16];
  for (std::size_t i = 0; i < name.size(); ++i) buf[i] = lower(name[i]);
  const std::string_view l(buf, name.size());
  for (uint64_t m = index.by[name.size()][first - 'a']; m != 0; m &= m - 1) {
    const CommandSpec& c = table[static_cast<std::size_t>(__builtin_ctzll(m))];
    if (c.name == l) return &c;
  }
  return nullptr;
}

std::size_t command_count() noexcept { return table.size(); }

bool execute_now(Server& srv, Client& c, Args args, std::string& out) {
  const CommandSpec* spec = find_command(args[0]);
  if (!spec) {
    unknown_command(args, out);
    return true;
  }
  srv.counters.commands_processed.fetch_add(1, std::memory_order_relaxed);
  if (!arity_ok(*spec, args.size())) {
    reply::error(out, "ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
    return true;
  }
  if (spec->id == Cmd::mset && args.size() % 2 == 0) {
    reply::error(out, "ERR wrong number of arguments for 'mset' command");
    return true;
  }
  if (spec->write && srv.cfg.maxmemory > 0 && srv.used_bytes() > static_cast<int64_t>(srv.cfg.maxmemory)) {
    srv.counters.oom_rejections.fetch_add(1, std::memory_order_relaxed);
    reply::error(out, reply::oom);
    return true;
  }
  switch (spec->route) {
    case Route::local: run_local(srv, c, spec->id, args, out); return true;
    case Route::keyed: {
      const unsigned s = srv.owner(args[1]);
      if (s != this_shard()) return false;
      run_keyed(*srv.stores[s], srv.cfg, spec->id, args, out);
      return true;
    }
    case Route::multi: {
      const unsigned s = this_shard();
      for (std::size_t i = 1; i < args.size(); i += key_step(spec->id))
        if (srv.owner(args[i]) != s) return false;
      run_multi_here(*srv.stores[s], spec->id, args, out);
      return true;
    }
    case Route::all: return false;
  }
  return true;
}

int remote_shard(Server& srv, Args args, Cmd& id) noexcept {
  if (srv.shards == 1) return -1;
  const CommandSpec* spec = find_command(args[0]);
  if (!spec || spec->route != Route::keyed || !arity_ok(*spec, args.size())) return -1;
  if (spec->write && srv.cfg.maxmemory > 0 && srv.used_bytes() > static_cast<int64_t>(srv.cfg.maxmemory)) return -1;
  const unsigned s = srv.owner(args[1]);
  id = spec->id;
  return s == this_shard() ? -1 : static_cast<int>(s);
}

void Remote::assign(Cmd cmd, Args a) {
  id = cmd;
  if (bytes.capacity() > (64u << 10)) std::string().swap(bytes);  // do not keep a large request's memory
  bytes.clear();
  for (std::string_view v : a) bytes.append(v);
  args.resize(a.size());
  std::size_t at = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    args[i] = std::string_view(bytes).substr(at, a[i].size());
    at += a[i].size();
  }
}

Task<> execute_batch(Server& srv, unsigned shard, std::span<const Remote> batch, std::string& out) {
  srv.counters.commands_processed.fetch_add(batch.size(), std::memory_order_relaxed);
  out += co_await submit_to(shard, [&srv, shard, batch] {
    std::string r;
    for (const Remote& q : batch) run_keyed(*srv.stores[shard], srv.cfg, q.id, q.args, r);
    return r;
  });
}

Task<> execute_spread(Server& srv, Client&, Args args, std::string& out) {
  const CommandSpec* spec = find_command(args[0]);  // execute_now has checked name and arity
  const Args a = args;
  switch (spec->route) {
    case Route::keyed: {
      const unsigned s = shard_of(args[1], srv.shards);
      out += co_await submit_to(s, [&srv, a, s, id = spec->id] {
        std::string r;
        run_keyed(*srv.stores[s], srv.cfg, id, a, r);
        return r;
      });
      co_return;
    }
    case Route::multi: co_return co_await run_multi(srv, spec->id, a, out);
    case Route::all: co_return co_await run_all(srv, spec->id, a, out);
    case Route::local: co_return;
  }
}

}  // namespace kv
