// Idle HTTP connections with no frame: parking one (coring::park) and starting its task again when its bytes arrive.
#include "coring/core/spawn.hpp"
#include "coring/detail/loop_hooks.hpp"
#include "coring/net/park.hpp"
#include "runtime/http/server_state.hpp"

namespace coring::http::detail {

namespace {

void on_wake(Parked p) {
  ServerState& st = *static_cast<ServerState*>(p.context);
  ConnectionSlot slot = ConnectionSlot::unpark(st);
  // Stopping: an accepted connection still gets its first request answered (Connection: close),
  // and a keep-alive one a lingering close rather than a reset (run_connection does both).
  if (p.why == Woken::readable || p.why == Woken::stopped) {
    // At once: the request is served while its bytes are at hand, and a connection that goes
    // idle again frees its frame before the next woken one needs one (a burst of wakes does
    // not hold a frame each at the same time).
    spawn_now(run_connection(std::move(slot), std::move(p.stream), p.cookie));
    return;
  }
  ++(ParkCookie::is_first(p.cookie) ? st.stats.header_timeouts : st.stats.idle_timeouts);
  // Timed out: the stream closes quietly here, and the slot gives its place back.
}

}  // namespace

void park_connection(ConnectionSlot slot, Stream s, std::uint64_t cookie, std::chrono::nanoseconds timeout) {
  if (timeout.count() <= 0) timeout = std::chrono::nanoseconds(1);  // due: fires at once
  park(std::move(s), ParkOptions{&on_wake, std::move(slot).park(), cookie, timeout});
}

void park_idle(ConnectionSlot& slot, Stream& s, std::uint32_t served, std::int64_t header_deadline,
               std::chrono::nanoseconds timeout) {
  if (served == 0) {
    timeout = std::chrono::nanoseconds(header_deadline - coring::detail::now_ns());
    park_connection(std::move(slot), std::move(s), ParkCookie::first(header_deadline), timeout);
  } else {
    park_connection(std::move(slot), std::move(s), ParkCookie::served(served), timeout);
  }
}

bool has_queued(Stream& s) noexcept { return s.recv().await_ready(); }

}  // namespace coring::http::detail
