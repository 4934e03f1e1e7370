// uri-host [ ":" port ] (RFC 3986 §3.2.2-3.2.3), as a Host field value and in absolute-form and authority-form targets.
#pragma once

#include <string_view>

namespace coring::http::detail {

/// An authority split into its parts (views into the checked text).
struct Authority {
  std::string_view host;  ///< IP-literal (with its brackets), IPv4address or reg-name; may be empty
  std::string_view port;  ///< the digits after ":" (empty when there are none)
  bool colon = false;     ///< a ":" was present (an empty port after it is allowed)
};

/// Splits `a` into uri-host and port and checks both: reg-name bytes (unreserved, sub-delims,
/// %XX), an IP-literal of IPv6 bytes or an IPvFuture, and a port of digits up to 65535.
/// No userinfo ("@"), path, query, fragment, space or control. False when `a` is none of this.
bool parse_authority(std::string_view a, Authority& out) noexcept;

}  // namespace coring::http::detail
