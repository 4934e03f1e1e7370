// The string commands of one key, run on the shard that owns the key: GET, SET, INCR..., APPEND, ranges, TTLs.
#include <algorithm>
#include <charconv>
#include <limits>

#include "commands.hpp"
#include "reply.hpp"

namespace kv {
namespace {

constexpr std::string_view too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

void set(Store& st, Args a, int64_t now, std::string& out) {
  bool nx = false, xx = false, get = false, keepttl = false;
  int64_t at = 0;
  for (std::size_t i = 3; i < a.size(); ++i) {
    const std::string_view o = a[i];
    const bool has_next = i + 1 < a.size();
    if (iequals(o, "nx") && !xx) nx = true;
    else if (iequals(o, "xx") && !nx) xx = true;
    else if (iequals(o, "get")) get = true;
    else if (iequals(o, "keepttl") && at == 0) keepttl = true;
    else if ((iequals(o, "ex") || iequals(o, "px") || iequals(o, "exat") || iequals(o, "pxat")) && has_next && at == 0 &&
             !keepttl) {
      int64_t v = 0;
      if (!parse_int64(a[++i], v)) return reply::error(out, reply::not_integer);
      const bool secs = iequals(o, "ex") || iequals(o, "exat");
      const bool rel = iequals(o, "ex") || iequals(o, "px");
      if (v <= 0 || (secs && v > std::numeric_limits<int64_t>::max() / 1000))
        return reply::error(out, "ERR invalid expire time in 'set' command");
      if (secs) v *= 1000;
      if (rel && v > std::numeric_limits<int64_t>::max() - now) return reply::error(out, "ERR invalid expire time in 'set' command");
      at = rel ? now + v : v;
    } else {
      return reply::error(out, reply::syntax);
    }
  }
  Entry* e = st.find(a[1], now);
  if (get) e ? reply::bulk(out, e->value) : reply::nil(out);
  if ((nx && e) || (xx && !e)) {
    if (!get) reply::nil(out);
    return;
  }
  Entry& ne = e ? *e : st.upsert(a[1], now);
  st.assign(ne, a[2]);
  if (at != 0 && at <= now) st.erase(a[1], now);  // EXAT/PXAT in the past: set, then gone
  else if (at != 0 || !keepttl) st.set_expiry(a[1], ne, at);
  if (!get) reply::ok(out);
}

void incr_by(Store& st, std::string_view key, int64_t by, int64_t now, std::string& out) {
  Entry* e = st.find(key, now);
  int64_t v = 0;
  if (e && !parse_int64(e->value, v)) return reply::error(out, reply::not_integer);
  if ((by > 0 && v > std::numeric_limits<int64_t>::max() - by) || (by < 0 && v < std::numeric_limits<int64_t>::min() - by))
    return reply::error(out, "ERR increment or decrement would overflow");
  v += by;
  Entry& ne = e ? *e : st.upsert(key, now);
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  st.assign(ne, std::string_view(digits, static_cast<std::size_t>(end - digits)));  // the TTL stays, as in Redis
  reply::integer(out, v);
}

void getrange(Store& st, Args a, int64_t now, std::string& out) {
  int64_t start = 0, end = 0;
  if (!parse_int64(a[2], start) || !parse_int64(a[3], end)) return reply::error(out, reply::not_integer);
  Entry* e = st.find(a[1], now);
  const int64_t len = e ? static_cast<int64_t>(e->value.size()) : 0;
  if (start < 0 && end < 0 && start > end) return reply::bulk(out, "");
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return reply::bulk(out, "");
  reply::bulk(out, std::string_view(e->value).substr(start, end - start + 1));
}

void setrange(Store& st, const Config& cfg, Args a, int64_t now, std::string& out) {
  int64_t off = 0;
  if (!parse_int64(a[2], off)) return reply::error(out, reply::not_integer);
  if (off < 0) return reply::error(out, "ERR offset is out of range");
  Entry* e = st.find(a[1], now);
  const std::string_view v = a[3];
  if (v.empty()) return reply::integer(out, e ? static_cast<int64_t>(e->value.size()) : 0);
  if (static_cast<uint64_t>(off) + v.size() > cfg.limits.max_bulk) return reply::error(out, too_big);
  Entry& ne = e ? *e : st.upsert(a[1], now);
  st.write_at(ne, static_cast<std::size_t>(off), v);
  reply::integer(out, static_cast<int64_t>(ne.value.size()));
}

void expire(Store& st, Args a, int64_t unit, int64_t now, std::string& out) {
  int64_t v = 0;
  if (!parse_int64(a[2], v)) return reply::error(out, reply::not_integer);
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    if (iequals(a[i], "nx")) nx = true;
    else if (iequals(a[i], "xx")) xx = true;
    else if (iequals(a[i], "gt")) gt = true;
    else if (iequals(a[i], "lt")) lt = true;
    else return reply::error(out, "ERR Unsupported option " + std::string(a[i]));
  }
  if (nx && (xx || gt || lt)) return reply::error(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt) return reply::error(out, "ERR GT and LT options at the same time are not compatible");
  const std::string bad = unit == 1000 ? "ERR invalid expire time in 'expire' command" : "ERR invalid expire time in 'pexpire' command";
  if (v > std::numeric_limits<int64_t>::max() / unit || v < std::numeric_limits<int64_t>::min() / unit) return reply::error(out, bad);
  v *= unit;
  if ((v > 0 && now > std::numeric_limits<int64_t>::max() - v)) return reply::error(out, bad);
  const int64_t at = now + v;
  Entry* e = st.find(a[1], now);
  if (!e) return reply::integer(out, 0);
  const int64_t cur = e->expire_at;  // 0: no TTL, i.e. infinite
  if ((nx && cur != 0) || (xx && cur == 0) || (gt && (cur == 0 || at <= cur)) || (lt && cur != 0 && at >= cur))
    return reply::integer(out, 0);
  if (at <= now) st.erase(a[1], now);
  else st.set_expiry(a[1], *e, at);
  reply::integer(out, 1);
}

void ttl(Store& st, std::string_view key, bool ms, int64_t now, std::string& out) {
  Entry* e = st.find(key, now);
  if (!e) return reply::integer(out, -2);
  if (e->expire_at == 0) return reply::integer(out, -1);
  const int64_t left = e->expire_at - now;
  reply::integer(out, ms ? left : (left + 500) / 1000);
}

}  // namespace

void run_keyed(Store& st, const Config& cfg, Cmd id, Args a, std::string& out) {
  const int64_t now = now_ms();
  const std::string_view key = a[1];
  switch (id) {
    case Cmd::get: {
      Entry* e = st.find(key, now);
      ++(e ? st.hits : st.misses);
      return e ? reply::bulk(out, e->value) : reply::nil(out);
    }
    case Cmd::set: return set(st, a, now, out);
    case Cmd::getset: {
      Entry* e = st.find(key, now);
      e ? reply::bulk(out, e->value) : reply::nil(out);
      Entry& ne = e ? *e : st.upsert(key, now);
      st.assign(ne, a[2]);
      return st.set_expiry(key, ne, 0);
    }
    case Cmd::type: return reply::simple(out, st.find(key, now) ? "string" : "none");
    case Cmd::incr: return incr_by(st, key, 1, now, out);
    case Cmd::decr: return incr_by(st, key, -1, now, out);
    case Cmd::incrby:
    case Cmd::decrby: {
      int64_t by = 0;
      if (!parse_int64(a[2], by)) return reply::error(out, reply::not_integer);
      if (id == Cmd::decrby) {
        if (by == std::numeric_limits<int64_t>::min()) return reply::error(out, "ERR decrement would overflow");
        by = -by;
      }
      return incr_by(st, key, by, now, out);
    }
    case Cmd::append: {
      Entry* e = st.find(key, now);
      if ((e ? e->value.size() : 0) + a[2].size() > cfg.limits.max_bulk) return reply::error(out, too_big);
      Entry& ne = e ? *e : st.upsert(key, now);
      st.append(ne, a[2]);
      return reply::integer(out, static_cast<int64_t>(ne.value.size()));
    }
    case Cmd::strlen: {
      Entry* e = st.find(key, now);
      return reply::integer(out, e ? static_cast<int64_t>(e->value.size()) : 0);
    }
    case Cmd::getrange: return getrange(st, a, now, out);
    case Cmd::setrange: return setrange(st, cfg, a, now, out);
    case Cmd::expire: return expire(st, a, 1000, now, out);
    case Cmd::pexpire: return expire(st, a, 1, now, out);
    case Cmd::ttl: return ttl(st, key, false, now, out);
    case Cmd::pttl: return ttl(st, key, true, now, out);
    case Cmd::persist: {
      Entry* e = st.find(key, now);
      if (!e || e->expire_at == 0) return reply::integer(out, 0);
      st.set_expiry(key, *e, 0);
      return reply::integer(out, 1);
    }
    default: return reply::error(out, "ERR internal: not a keyed command");
  }
}

}  // namespace kv
