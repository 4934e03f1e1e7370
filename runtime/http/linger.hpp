// Lingering close: half-close, then read and drop what the peer still sends, bounded in time and bytes.
#pragma once

#include <chrono>
#include <cstddef>

#include "coring/core/task.hpp"
#include "coring/net/stream.hpp"

namespace coring::http::detail {

/// Half-closes `s`, then reads and drops what the client still sends until it closes, `timeout`
/// passes or `max_bytes` were read, so that closing with unread bytes (which makes the kernel
/// send a reset) does not destroy our answer before the client read it.
Task<> linger_close(Stream& s, std::chrono::milliseconds timeout, std::size_t max_bytes);

}  // namespace coring::http::detail
