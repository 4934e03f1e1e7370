// Active expiry: a timer task per shard that samples keys with a TTL and deletes the expired ones.
#pragma once

#include "coring/coring.hpp"
#include "store.hpp"

namespace kv {

using coring::Task;

/// Runs until the shard stops: every 100 ms, sampling rounds over `st` (the calling shard's store).
Task<> expiry_loop(Store& st);

}  // namespace kv
