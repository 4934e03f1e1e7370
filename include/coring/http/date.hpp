// HTTP dates (RFC 9110 §5.6.7 IMF-fixdate): formatting and parsing. The server caches its Date field per second itself.
#pragma once

#include <ctime>
#include <string_view>

namespace coring::http {

/// Formats `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into `buf` (at least 30 bytes).
std::string_view format_http_date(std::time_t t, char* buf) noexcept;
/// Parses an IMF-fixdate; -1 if `s` is not one (the obsolete RFC 850 and asctime forms are not accepted).
std::time_t parse_http_date(std::string_view s) noexcept;

}  // namespace coring::http
