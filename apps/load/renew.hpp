// coring-load --renew K: HTTP open loop over connections replaced after K requests, counting every way a request can fail.
#pragma once

#include "load.hpp"

namespace coring::load {

/// What --renew counts besides the latency histogram (Shared::hist, Shared::messages).
struct RenewCounts {
  uint64_t requests = 0;       // due in the run and attempted
  uint64_t ok = 0;             // a complete 200 response
  uint64_t failed = 0;         // sent on an accepted connection and never answered (resets included)
  uint64_t resets = 0;         // ECONNRESET or EPIPE on a send or receive
  uint64_t refused = 0;        // no connection could be made (the request never reached a server)
  uint64_t retried = 0;        // sent on a reused connection the server had closed: sent again on a new one
  uint64_t server_closes = 0;  // keep-alive connections the server closed (Connection: close, or idle)
  uint64_t connects = 0;       // connections opened
};

/// --renew: --connections open-loop senders at --rate in total for --duration;
/// each sends its requests on one keep-alive connection and opens a new one
/// after K requests, or when the server closed it (Connection: close, or an
/// idle close seen before sending). A request sent on a reused connection
/// that the server closed before any byte of the response is sent once more
/// on a new connection (RFC 9112 section 9.3.1; GET is idempotent) and
/// counted in `retried`.
Task<RenewCounts> run_renew(Shared& sh, SocketAddress server);

/// The counters as one JSON line on stdout (after the usual report line).
void print_renew(const RenewCounts& c);

}  // namespace coring::load
