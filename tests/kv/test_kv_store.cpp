// coring-kv's store and single-key commands without I/O: replies byte for byte, expiry bookkeeping, SCAN pages.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "kv/commands.hpp"
#include "kv/store.hpp"

using kv::Cmd;
using kv::Store;

namespace {

std::string call(Store& st, Cmd id, std::vector<std::string> args, kv::Config cfg = {}) {
  std::string out;
  const std::vector<std::string_view> views(args.begin(), args.end());
  kv::run_keyed(st, cfg, id, views, out);
  return out;
}

}  // namespace

TEST_CASE("GET, SET and its options, GETSET") {
  Store st;
  CHECK(call(st, Cmd::get, {"get", "k"}) == "$-1\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v"}) == "+OK\r\n");
  CHECK(call(st, Cmd::get, {"get", "k"}) == "$1\r\nv\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "w", "NX"}) == "$-1\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "w", "xx", "get"}) == "$1\r\nv\r\n");
  CHECK(call(st, Cmd::set, {"set", "n", "w", "NX", "GET"}) == "$-1\r\n");
  CHECK(call(st, Cmd::get, {"get", "n"}) == "$1\r\nw\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v", "EX"}) == "-ERR syntax error\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v", "EX", "10", "PX", "10"}) == "-ERR syntax error\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v", "EX", "-1"}) == "-ERR invalid expire time in 'set' command\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v", "EX", "9223372036854775807"}) == "-ERR invalid expire time in 'set' command\r\n");
  CHECK(call(st, Cmd::set, {"set", "k", "v", "PXAT", "1"}) == "+OK\r\n");  // in the past: gone at once
  CHECK(call(st, Cmd::get, {"get", "k"}) == "$-1\r\n");
  CHECK(call(st, Cmd::getset, {"getset", "g", "1"}) == "$-1\r\n");
  CHECK(call(st, Cmd::getset, {"getset", "g", "2"}) == "$1\r\n1\r\n");
  CHECK(call(st, Cmd::type, {"type", "g"}) == "+string\r\n");
  CHECK(call(st, Cmd::type, {"type", "nope"}) == "+none\r\n");
}

TEST_CASE("INCR family: integers only, overflow detected") {
  Store st;
  CHECK(call(st, Cmd::incr, {"incr", "c"}) == ":1\r\n");
  CHECK(call(st, Cmd::incrby, {"incrby", "c", "-11"}) == ":-10\r\n");
  CHECK(call(st, Cmd::decrby, {"decrby", "c", "-9223372036854775808"}) == "-ERR decrement would overflow\r\n");
  CHECK(call(st, Cmd::incrby, {"incrby", "c", "01"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(call(st, Cmd::incrby, {"incrby", "c", "9223372036854775808"}) == "-ERR value is not an integer or out of range\r\n");
  call(st, Cmd::set, {"set", "c", "-9223372036854775808"});
  CHECK(call(st, Cmd::decr, {"decr", "c"}) == "-ERR increment or decrement would overflow\r\n");
  call(st, Cmd::set, {"set", "c", "1.5"});
  CHECK(call(st, Cmd::incr, {"incr", "c"}) == "-ERR value is not an integer or out of range\r\n");
}

TEST_CASE("APPEND, STRLEN, GETRANGE, SETRANGE, with the size limit") {
  Store st;
  kv::Config cfg;
  cfg.limits.max_bulk = 10;
  CHECK(call(st, Cmd::append, {"append", "s", "Hello"}, cfg) == ":5\r\n");
  CHECK(call(st, Cmd::append, {"append", "s", " World"}, cfg) ==
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  CHECK(call(st, Cmd::strlen, {"strlen", "s"}) == ":5\r\n");
  CHECK(call(st, Cmd::getrange, {"getrange", "s", "0", "-1"}) == "$5\r\nHello\r\n");
  CHECK(call(st, Cmd::getrange, {"getrange", "s", "-3", "-2"}) == "$2\r\nll\r\n");
  CHECK(call(st, Cmd::getrange, {"getrange", "s", "-1", "-5"}) == "$0\r\n\r\n");
  CHECK(call(st, Cmd::getrange, {"getrange", "s", "3", "100"}) == "$2\r\nlo\r\n");
  CHECK(call(st, Cmd::getrange, {"getrange", "none", "0", "-1"}) == "$0\r\n\r\n");
  CHECK(call(st, Cmd::setrange, {"setrange", "s", "7", "!!"}, cfg) == ":9\r\n");
  CHECK(call(st, Cmd::get, {"get", "s"}) == std::string("$9\r\nHello\0\0!!\r\n", 15));
  CHECK(call(st, Cmd::setrange, {"setrange", "s", "10", "x"}, cfg) ==
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  CHECK(call(st, Cmd::setrange, {"setrange", "e", "3", ""}, cfg) == ":0\r\n");
  CHECK(call(st, Cmd::type, {"type", "e"}) == "+none\r\n");  // an empty SETRANGE creates nothing
}

TEST_CASE("EXPIRE options, TTL, PTTL, PERSIST") {
  Store st;
  CHECK(call(st, Cmd::expire, {"expire", "k", "10"}) == ":0\r\n");
  call(st, Cmd::set, {"set", "k", "v"});
  CHECK(call(st, Cmd::ttl, {"ttl", "k"}) == ":-1\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "10", "XX"}) == ":0\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "10", "NX"}) == ":1\r\n");
  CHECK(call(st, Cmd::ttl, {"ttl", "k"}) == ":10\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "5", "GT"}) == ":0\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "5", "LT"}) == ":1\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "5", "NX", "XX"}) ==
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  CHECK(call(st, Cmd::expire, {"expire", "k", "x"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(call(st, Cmd::pexpire, {"pexpire", "k", "9223372036854775807"}) == "-ERR invalid expire time in 'pexpire' command\r\n");
  CHECK(st.volatile_count() == 1);
  CHECK(call(st, Cmd::persist, {"persist", "k"}) == ":1\r\n");
  CHECK(call(st, Cmd::persist, {"persist", "k"}) == ":0\r\n");
  CHECK(st.volatile_count() == 0);
  CHECK(call(st, Cmd::pexpire, {"pexpire", "k", "0"}) == ":1\r\n");  // not in the future: deleted
  CHECK(call(st, Cmd::pttl, {"pttl", "k"}) == ":-2\r\n");
  CHECK(st.size() == 0);
}

TEST_CASE("expiry bookkeeping: lazy deletion, sampling sweep, deletes in any order") {
  Store st;
  const int64_t now = kv::now_ms();
  for (int i = 0; i < 100; ++i) {
    kv::Entry& e = st.upsert("k" + std::to_string(i), now);
    st.set_expiry("k" + std::to_string(i), e, i % 2 ? now + 1'000'000 : now - 1);  // half already expired
  }
  CHECK(st.volatile_count() == 100);
  CHECK(st.find("k0", now) == nullptr);  // lazy
  CHECK(st.volatile_count() == 99);
  CHECK(st.erase("k1", now));
  for (int round = 0; round < 200 && st.size() > 49; ++round) st.sweep(now, 20);
  CHECK(st.size() == 49);
  CHECK(st.volatile_count() == 49);
  for (int i = 3; i < 100; i += 2) CHECK(st.find("k" + std::to_string(i), now) != nullptr);
  CHECK(st.expired_keys == 50);
}

TEST_CASE("SCAN pages visit every key once, and KEYS matches a glob") {
  Store st;
  const int64_t now = kv::now_ms();
  for (int i = 0; i < 1000; ++i) st.upsert("key:" + std::to_string(i), now);
  std::vector<std::string> got;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    cursor = st.scan(cursor, 25, "", now, got);
    ++pages;
  } while (cursor != 0 && pages < 10000);
  CHECK(got.size() == 1000);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 1000);
  CHECK(pages > 10);
  std::vector<std::string> some;
  st.keys("key:99?", now, some);
  CHECK(some.size() == 10);
}

TEST_CASE("keys spread over shards") {
  std::vector<int> per(4);
  for (int i = 0; i < 4000; ++i) ++per[kv::shard_of("key:" + std::to_string(i), 4)];
  for (int n : per) CHECK(n > 800);
  CHECK(kv::shard_of("anything", 1) == 0);
}

TEST_CASE("used_bytes follows inserts, value changes, deletes and FLUSH") {
  Store st;
  CHECK(st.used_bytes() == 0);
  call(st, Cmd::set, {"set", "a", "v"});
  const int64_t one = st.used_bytes();
  CHECK(one > 0);
  call(st, Cmd::set, {"set", "a", std::string(10000, 'x')});
  CHECK(st.used_bytes() >= one + 10000);
  call(st, Cmd::set, {"set", "a", "small"});  // a large value's memory goes back
  CHECK(st.used_bytes() == one);
  call(st, Cmd::append, {"append", "b", std::string(100, 'y')});
  call(st, Cmd::setrange, {"setrange", "c", "1000", "z"});
  call(st, Cmd::incr, {"incr", "d"});
  CHECK(st.used_bytes() >= 4 * one + 1100);
  CHECK(st.erase("b", kv::now_ms()));
  CHECK(st.erase("c", kv::now_ms()));
  CHECK(st.erase("d", kv::now_ms()));
  CHECK(st.used_bytes() == one);
  call(st, Cmd::set, {"set", "e", "v", "PX", "1"});
  st.clear();
  CHECK(st.used_bytes() == 0);
}
