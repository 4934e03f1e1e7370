// Lingering close for the connection path and the 503 reject path: half-close, drain for a bounded time and byte count.
#include "runtime/http/linger.hpp"

#include "coring/time/timeout.hpp"

namespace coring::http::detail {

namespace {

Task<> discard_input(Stream& s, std::size_t max_bytes) {
  std::size_t total = 0;
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return;
    total += b->size();
    if (total >= max_bytes) co_return;
  }
}

}  // namespace

Task<> linger_close(Stream& s, std::chrono::milliseconds timeout, std::size_t max_bytes) {
  if (!s.shutdown(ShutdownHow::write)) co_return;
  (void)co_await with_timeout(discard_input(s, max_bytes), timeout);
}

}  // namespace coring::http::detail
