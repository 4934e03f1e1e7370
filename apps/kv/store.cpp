// Store: the shard-local hash table, its expiry bookkeeping and key iteration.
#include "store.hpp"

#include <chrono>

#include "glob.hpp"

namespace kv {
namespace {

// Heap bytes of a string beyond its inline (short string) storage.
int64_t heap_of(const std::string& s) noexcept { return s.capacity() > 15 ? static_cast<int64_t>(s.capacity() + 1) : 0; }
// A table node (key, entry, next pointer, cached hash), its bucket slot and its malloc header.
constexpr int64_t node_bytes = sizeof(std::string) + sizeof(Entry) + 4 * sizeof(void*);

}  // namespace

int64_t now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

unsigned shard_of(std::string_view key, unsigned shards) noexcept {
  // Mixed again so the shard does not correlate with the table's own bucket choice.
  uint64_t h = std::hash<std::string_view>{}(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<unsigned>(h % shards);
}

Entry* Store::find(std::string_view key, int64_t now) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (it->second.expire_at != 0 && it->second.expire_at <= now) {
    erase_it(it);
    ++expired_keys;
    return nullptr;
  }
  return &it->second;
}

Entry& Store::upsert(std::string_view key, int64_t now, bool* created) {
  if (Entry* e = find(key, now)) {
    if (created) *created = false;
    return *e;
  }
  if (created) *created = true;
  auto it = map_.emplace(std::string(key), Entry{}).first;
  add_used(node_bytes + heap_of(it->first));
  return it->second;
}

bool Store::erase(std::string_view key, int64_t now) {
  if (!find(key, now)) return false;
  erase_it(map_.find(key));
  return true;
}

void Store::erase_it(Map::iterator it) {
  forget_volatile(it->second);
  add_used(-(node_bytes + heap_of(it->first) + heap_of(it->second.value)));
  map_.erase(it);
}

void Store::assign(Entry& e, std::string_view v) {
  const int64_t before = heap_of(e.value);
  if (e.value.capacity() > 4096 && e.value.capacity() / 2 > v.size()) std::string(v).swap(e.value);  // give a large value's memory back
  else e.value.assign(v);
  add_used(heap_of(e.value) - before);
}

void Store::append(Entry& e, std::string_view v) {
  const int64_t before = heap_of(e.value);
  e.value.append(v);
  add_used(heap_of(e.value) - before);
}

void Store::write_at(Entry& e, std::size_t off, std::string_view v) {
  const int64_t before = heap_of(e.value);
  if (e.value.size() < off + v.size()) e.value.resize(off + v.size(), '\0');
  e.value.replace(off, v.size(), v);
  add_used(heap_of(e.value) - before);
}

void Store::forget_volatile(Entry& e) {
  if (e.expire_at == 0) return;
  const uint32_t i = e.volatile_index;
  if (i + 1 != volatile_.size()) {  // move the last key into the hole
    volatile_[i] = volatile_.back();
    map_.find(*volatile_[i])->second.volatile_index = i;
  }
  volatile_.pop_back();
  e.expire_at = 0;
}

void Store::set_expiry(std::string_view key, Entry& e, int64_t at) {
  if (e.expire_at != 0) {
    if (at != 0) {
      e.expire_at = at;
      return;
    }
    forget_volatile(e);
    return;
  }
  if (at == 0) return;
  e.expire_at = at;
  e.volatile_index = static_cast<uint32_t>(volatile_.size());
  volatile_.push_back(&map_.find(key)->first);
}

void Store::clear() {
  map_.clear();
  volatile_.clear();
  // Give the memory of a large table back instead of keeping its bucket array.
  Map().swap(map_);
  std::vector<const std::string*>().swap(volatile_);
  used_.store(0, std::memory_order_relaxed);
}

std::size_t Store::sweep(int64_t now, std::size_t samples) {
  std::size_t deleted = 0;
  for (std::size_t n = 0; n < samples && !volatile_.empty(); ++n) {
    rng_ ^= rng_ << 13, rng_ ^= rng_ >> 7, rng_ ^= rng_ << 17;  // xorshift64
    auto it = map_.find(*volatile_[rng_ % volatile_.size()]);
    if (it->second.expire_at <= now) {
      erase_it(it);
      ++deleted;
    }
  }
  expired_keys += deleted;
  return deleted;
}

uint64_t Store::scan(uint64_t cursor, std::size_t count, std::string_view pattern, int64_t now,
                     std::vector<std::string>& out) const {
  const std::size_t buckets = map_.bucket_count();
  std::size_t seen = 0;
  for (std::size_t b = cursor; b < buckets; ++b) {
    for (auto it = map_.begin(b); it != map_.end(b); ++it) {
      ++seen;
      if (it->second.expire_at != 0 && it->second.expire_at <= now) continue;
      if (pattern.empty() || glob_match(pattern, it->first)) out.push_back(it->first);
    }
    if (seen >= count) return b + 1 < buckets ? b + 1 : 0;
  }
  return 0;
}

void Store::keys(std::string_view pattern, int64_t now, std::vector<std::string>& out) const {
  for (const auto& [k, e] : map_) {
    if (e.expire_at != 0 && e.expire_at <= now) continue;
    if (glob_match(pattern, k)) out.push_back(k);
  }
}

}  // namespace kv
