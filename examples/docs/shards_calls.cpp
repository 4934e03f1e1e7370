// docs/shards.md's cross-shard calls and offload, in a program that compiles (it needs 3 shards to run).
#include <coring/coring.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>

using namespace coring;
using namespace std::chrono_literals;

thread_local std::unordered_map<int, int> table;  // one per shard: every shard is its own thread
std::size_t local_count() { return table.size(); }

// Stands in for any long computation (FNV-1a).
std::uint64_t expensive_hash(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

Task<> calls(int key) {
  int n = co_await submit_to(2, [key] { return table.count(key); });       // a plain function
  auto v = co_await runtime().on_shard(1, [] () -> Task<std::string> {     // or a coroutine
    co_await sleep_for(1ms);
    co_return "from shard 1";
  });
  auto all = co_await on_all_shards([](unsigned) { return local_count(); });
  auto stats = co_await all_shard_stats();                                  // one snapshot, read on each shard
  std::printf("%d %s %zu %zu\n", n, v.c_str(), all.size(), stats.size());
}

Task<> offload_hash(const std::string& bytes) {
  auto digest = co_await offload([&] { return expensive_hash(bytes); });
  std::printf("%016llx\n", static_cast<unsigned long long>(digest));
}

Task<> both() {
  co_await calls(42);
  co_await offload_hash("hello");
}

int main() {
  Runtime rt(RuntimeOptions{.shards = 3});
  rt.block_on(both());
}
