// http::Request: what a handler sees: the parsed head, the path and query, and the whole body.
#pragma once

#include <string_view>

#include "coring/http/parser.hpp"

namespace coring::http {

struct ServerStats;

/// A request as handed to a handler. Every view stays valid until the
/// handler's Task completes (they point into the connection's receive
/// buffers or its scratch area), so copy what must live longer.
struct Request {
  const RequestHead& head;
  std::string_view path;   ///< the target up to '?' (absolute-form: from the first '/' after the authority)
  std::string_view query;  ///< after '?', without it; empty if none
  std::string_view body;   ///< the whole body (chunked bodies are already decoded)
  const ServerStats* stats = nullptr;  ///< the serving server's counters (this shard)

  std::string_view method() const noexcept { return head.method; }
  std::string_view target() const noexcept { return head.target; }
  /// The first header field named `name` (case-insensitive); empty if absent.
  std::string_view header(std::string_view name) const noexcept { return head.header(name); }
};

}  // namespace coring::http
