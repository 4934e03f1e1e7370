// coring-echo's --hold-port: a misbehaving tenant that keeps every receive buffer, for bench/starvation.sh.
#pragma once

#include <chrono>
#include <cstdint>

#include "coring/coring.hpp"

namespace coring::apps {

/// Listens on `port` of the calling shard; each connection keeps every
/// buffer it receives until the runtime refuses more (its share: recv()
/// gives no_buffer_space, the receive is paused), holds them `hold`, then
/// lets them all go and reads on. Never sends.
Result<void> start_holder(const SocketAddress& addr, std::chrono::milliseconds hold);

}  // namespace coring::apps
