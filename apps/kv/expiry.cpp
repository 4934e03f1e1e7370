// The per-shard active-expiry loop (lazy expiry on access is in Store::find).
#include "expiry.hpp"

#include <chrono>

namespace kv {

using namespace coring;

Task<> expiry_loop(Store& st) {
  using namespace std::chrono_literals;
  for (;;) {
    if (!co_await cancel_on_stop(sleep_for(100ms))) co_return;
    // Like Redis: sample 20 keys with a TTL and go on while more than a quarter of them had
    // expired, within a bounded number of rounds so that the shard is never held for long.
    const int64_t now = now_ms();
    for (int round = 0; round < 64; ++round)
      if (st.sweep(now, 20) <= 5) break;
  }
}

}  // namespace kv
