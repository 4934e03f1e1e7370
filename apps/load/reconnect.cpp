// coring-load --reconnect: a connection the server closed (or that failed) is opened again after an exponential backoff with jitter.
#include <poll.h>

#include "backoff.hpp"
#include "load.hpp"

namespace coring::load {

bool lost(Stream& s, const Shared& sh) {
  if (!sh.cfg->reconnect || !s.is_open()) return false;
  // A FIN or a reset already arrived: the socket polls as hung up (or in error) at once.
  pollfd p{s.native_handle(), POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return false;
  s.close();
  return true;
}

Task<bool> idle_until(Stream& s, Shared& sh, uint32_t conn, Clock::time_point due) {
  if (!sh.cfg->reconnect) co_return static_cast<bool>(co_await sleep_until(due));
  const auto left = std::chrono::duration_cast<Duration>(due - Clock::now());
  auto r = co_await with_timeout(s.recv(), std::max(left, Duration(0)));
  if (!r && r.error() == errc::timed_out) co_return true;
  if (!r && r.error() == errc::operation_canceled) co_return false;  // the run was cancelled
  if (r && !r->empty()) {
    sh.report("idle recv", conn, "unexpected bytes between requests");
    ++sh.verify_failures;
  }
  s.close();  // closed or reset by the server while idle: the caller reconnects
  co_return false;
}

Task<> reconnecting(Stream& s, Shared& sh, uint32_t conn, const SocketAddress& server,
                    const std::vector<SocketAddress>& sources, Clock::time_point end, std::function<Task<>()> loop) {
  const Config& cfg = *sh.cfg;
  const auto ms = [](double v) { return std::chrono::nanoseconds(static_cast<int64_t>(v * 1e6)); };
  Backoff backoff(ms(cfg.backoff_min_ms), ms(cfg.backoff_max_ms), cfg.jitter, 0x7265636f6e6eull ^ conn);
  for (;;) {
    if (s.is_open()) {
      Task<> running = loop();  // returns when the run is over, or with `s` closed when the connection went
      co_await std::move(running);
    }
    if (s.is_open() || sh.stop || Clock::now() >= end) co_return;
    sh.mark(Timeline::close);
    for (;;) {  // attempts until one succeeds or the run is over
      const auto delay = backoff.next();
      if (Clock::now() + delay >= end || sh.stop) co_return;
      if (auto slept = co_await sleep_for(delay); !slept) co_return;  // cancelled
      Result<Stream> r = co_await connect_one(server, sources, conn, cfg);
      if (r) {
        s = std::move(*r);
        ++sh.reconnects;
        sh.mark(Timeline::connect);
        backoff.reset();
        break;
      }
      ++sh.reconnect_failures;
      sh.mark(Timeline::connect_failure);
    }
  }
}

}  // namespace coring::load
