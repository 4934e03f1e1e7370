// Tutorial steps 2-4: a key-value server: shard-owned tables, cross-shard calls, timeouts, graceful stop, offload.
// [head]
#include <coring/coring.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

using namespace coring;
using namespace std::chrono_literals;  // 1s, 60s...
// [/head]

// [store]
// Every shard owns the keys that hash to it, in a table that only its own
// thread ever touches: no locks. Other shards reach it with submit_to().
thread_local std::unordered_map<std::string, std::string> table;

unsigned owner_of(std::string_view key) { return std::hash<std::string_view>{}(key) % shard_count(); }

Task<std::optional<std::string>> get(std::string key) {
  auto lookup = [key]() -> std::optional<std::string> {  // runs on the owner shard
    auto it = table.find(key);
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
  co_return co_await submit_to(owner_of(key), lookup);
}

Task<> set(std::string key, std::string value) {
  auto store = [key, value] { table[key] = value; };
  co_await submit_to(owner_of(key), store);
}

Task<bool> del(std::string key) {
  auto erase = [key] { return table.erase(key) > 0; };
  co_return co_await submit_to(owner_of(key), erase);
}
// [/store]

// [offload]
// Deliberately slow: stands for password hashing or compression, work that
// would stall every connection of the shard if it ran on the event loop.
uint64_t slow_digest(const std::string& value) {
  uint64_t h = 1469598103934665603ull;
  for (int round = 0; round < 20000; ++round)
    for (unsigned char c : value) h = (h ^ c) * 1099511628211ull;
  return h;
}

Task<std::string> digest(std::string key) {
  auto value = co_await get(key);
  if (!value) co_return "NOT_FOUND";
  auto work = [v = std::move(*value)] { return slow_digest(v); };
  uint64_t h = co_await offload(work);  // on the pool; this task resumes on its own shard
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  co_return std::string("DIGEST ") + hex;
}
// [/offload]

// [commands]
Task<std::string> digest(std::string key);  // step 4 (the offload pool)

// One command line in, one reply line out. The cross-shard part of every
// command runs under a deadline: a shard that does not answer in time gives
// an error, never a stuck client.
Task<std::string> execute(std::string line) {
  auto space = line.find(' ');
  std::string cmd = line.substr(0, space);
  std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
  if (cmd == "GET" && !rest.empty()) {
    auto v = co_await with_timeout(get(rest), 1s);
    if (!v) co_return "ERR " + v.error().message();
    co_return *v ? "VALUE " + **v : "NOT_FOUND";
  }
  if (cmd == "SET") {
    auto sp = rest.find(' ');
    if (sp == std::string::npos || sp == 0) co_return "ERR usage: SET key value";
    auto r = co_await with_timeout(set(rest.substr(0, sp), rest.substr(sp + 1)), 1s);
    co_return r ? "OK" : "ERR " + r.error().message();
  }
  if (cmd == "DEL" && !rest.empty()) {
    auto r = co_await with_timeout(del(rest), 1s);
    if (!r) co_return "ERR " + r.error().message();
    co_return *r ? "DELETED" : "NOT_FOUND";
  }
  if (cmd == "DIGEST" && !rest.empty()) co_return co_await digest(rest);
  if (cmd == "SHARD" && !rest.empty()) co_return "SHARD " + std::to_string(owner_of(rest));
  co_return "ERR unknown command";
}
// [/commands]

// [session]
constexpr std::size_t kMaxLine = 4096;

Task<> session(Stream s) {
  std::string pending;  // received bytes that do not make a whole line yet
  for (;;) {
    // Wait for input: at most 60 s of silence. Waiting is not work in
    // progress, so a graceful stop may end it at once (cancel_on_stop).
    auto chunk = co_await cancel_on_stop(with_timeout(s.recv(), 60s));
    if (!chunk || chunk->empty()) co_return;  // timed out, stopping, error or EOF
    pending.append(chunk->view());
    std::string replies;
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = pending.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      replies += co_await execute(std::move(line));
      replies += '\n';
    }
    pending.erase(0, start);
    if (pending.size() > kMaxLine) replies += "ERR line too long\n";
    if (!replies.empty() && !co_await s.send_all(replies)) co_return;  // pipelined commands: one send
    if (pending.size() > kMaxLine || stop_requested()) co_return;
  }
}
// [/session]

// [main]
Task<> serve(uint16_t port) {
  auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, port), {.reuse_port = true});
  if (!l) {
    std::fprintf(stderr, "shard %u: cannot listen: %s\n", this_shard(), l.error().message().c_str());
    co_return;
  }
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;
    spawn(session(std::move(*s)));
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7001);
  RuntimeOptions opts;
  opts.drain_timeout = 2s;  // how long open sessions get to finish after Ctrl-C
  Runtime rt(opts);
  return rt.run_on_every_shard([port] { return serve(port); });
}
// [/main]
