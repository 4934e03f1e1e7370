// One shard's part of the keyspace: string values with optional expiry (lazy on access, plus sampled sweeps).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kv {

/// Milliseconds since the Unix epoch (expiry times are absolute, like Redis's).
int64_t now_ms() noexcept;

/// The shard a key belongs to.
unsigned shard_of(std::string_view key, unsigned shards) noexcept;

struct Entry {
  std::string value;
  int64_t expire_at = 0;            ///< ms since the epoch; 0 = never
  uint32_t volatile_index = 0;      ///< position in Store::volatile_ when expire_at != 0
};

/// A shard's table. Touched only by tasks of its own shard.
class Store {
 public:
  /// The live entry of `key`, or nullptr (an expired one is deleted here: lazy expiry).
  Entry* find(std::string_view key, int64_t now);
  /// The entry of `key`, created empty (no expiry) when absent or expired.
  Entry& upsert(std::string_view key, int64_t now, bool* created = nullptr);
  /// Deletes `key`; true if it existed (and was live).
  bool erase(std::string_view key, int64_t now);
  /// Sets (at > 0) or clears (at == 0) the expiry of `key`'s entry `e`.
  void set_expiry(std::string_view key, Entry& e, int64_t at);
  void clear();

  /// Value changes go through these, so that used_bytes() stays right.
  void assign(Entry& e, std::string_view v);
  void append(Entry& e, std::string_view v);
  /// Writes `v` at `off`, padding with zero bytes first if the value is shorter.
  void write_at(Entry& e, std::size_t off, std::string_view v);

  /// An estimate of the memory the keyspace holds (keys, values, table nodes), in bytes.
  /// Written by the owning shard only; any shard may read it (maxmemory, INFO).
  int64_t used_bytes() const noexcept { return used_.load(std::memory_order_relaxed); }

  std::size_t size() const noexcept { return map_.size(); }
  std::size_t volatile_count() const noexcept { return volatile_.size(); }

  /// Active expiry: samples up to `samples` keys that have a TTL and deletes the
  /// expired ones; returns how many it deleted.
  std::size_t sweep(int64_t now, std::size_t samples);
  /// Appends up to about `count` live keys matching `pattern` (empty: all),
  /// starting at bucket `cursor`; returns the next cursor, 0 when done.
  uint64_t scan(uint64_t cursor, std::size_t count, std::string_view pattern, int64_t now,
                std::vector<std::string>& out) const;
  /// Appends every live key matching `pattern`.
  void keys(std::string_view pattern, int64_t now, std::vector<std::string>& out) const;

  uint64_t expired_keys = 0;  ///< deleted by lazy or active expiry
  uint64_t hits = 0, misses = 0;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  void forget_volatile(Entry& e);
  void erase_it(Map::iterator it);
  void add_used(int64_t delta) noexcept { used_.store(used_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed); }

  Map map_;
  std::vector<const std::string*> volatile_;  // keys (in map_'s nodes) that have an expiry
  uint64_t rng_ = 0x9e3779b97f4a7c15ull;
  alignas(64) std::atomic<int64_t> used_{0};  // its own cache line: other shards read it
};

}  // namespace kv
