// Serialises responses (status line, Date, Server, framing fields, body) into a connection's output buffer.
#pragma once

#include <string>
#include <string_view>

#include "coring/http/response.hpp"

namespace coring::http::detail {

struct WriteContext {
  int minor_version = 1;   ///< of the request: HTTP/1.0 clients get "Connection: keep-alive" spelled out
  bool keep_alive = true;  ///< the connection stays open after this response
  bool head = false;       ///< a HEAD request: framing fields as for GET, no body
  std::string_view server_name;
};

/// Appends `r` to `out`.
void write_response(std::string& out, const Response& r, const WriteContext& ctx);
/// Appends the interim "100 Continue" response.
void write_continue(std::string& out);

}  // namespace coring::http::detail
