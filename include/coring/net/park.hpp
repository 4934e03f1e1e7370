// park(): hands an idle Stream back to its shard with no task waiting on it; a handler starts work when bytes arrive, a timeout passes or the shard stops.
#pragma once

#include <cstdint>

#include "coring/net/stream.hpp"
#include "coring/time/sleep.hpp"

namespace coring {

/// Why a parked stream's handler runs.
enum class Woken : std::uint8_t {
  readable,   ///< bytes arrived, or the peer closed, or the socket failed: the stream's next recv() says which
  timed_out,  ///< ParkOptions::timeout passed with nothing received
  stopped,    ///< the shard is stopping (Runtime::shutdown, or the end of block_on)
};

/// What a park handler gets: the stream back, why, and the two words given to park().
struct Parked {
  Stream stream;
  Woken why;
  void* context;
  std::uint64_t cookie;
};

/// Called on the stream's shard, from the loop (never from inside park()); it owns the
/// stream: it may spawn a task with it, park it again, or drop it (which closes it).
using ParkHandler = void (*)(Parked woken);

struct ParkOptions {
  ParkHandler on_wake = nullptr;  ///< required
  void* context = nullptr;        ///< passed back as is (for example the server's state)
  std::uint64_t cookie = 0;       ///< passed back as is (for example a request count)
  Duration timeout{0};            ///< Woken::timed_out after this long; 0: no timeout
};

/// Parks `stream` until it becomes readable, `options.timeout` passes or the shard stops,
/// then calls `options.on_wake` once, with the stream. No coroutine frame and no receive
/// buffer waits meanwhile: the stream's socket state plus a 56-byte record from the shard's
/// pool (the handler, the two words and a timer node). On io_uring the receive stays armed
/// (the kernel takes a buffer only when bytes arrive, and the bytes then wait in the
/// stream's queue for the next recv()); on epoll the socket stays registered and the bytes
/// wait in the kernel. Call it on the stream's own shard. If bytes are already there, the
/// handler runs on the loop's next turn. A turn runs at most
/// RuntimeOptions::park_wakes_per_turn handlers of readable streams, in the order they
/// became readable; the others wait for the next turns. If the shard is already stopping, the handler
/// runs at once, inside park(), with Woken::stopped (so a handler must not park again on
/// `stopped`). An empty stream is ignored.
void park(Stream stream, const ParkOptions& options);

}  // namespace coring
