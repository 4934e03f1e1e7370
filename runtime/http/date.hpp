// The IMF-fixdate of now for the Date header field, formatted at most once per second per thread.
#pragma once

#include <ctime>
#include <string_view>

namespace coring::http::detail {

/// "Sun, 06 Nov 1994 08:49:37 GMT" for the current second (thread-local cache).
std::string_view http_date_now() noexcept;
/// Formats `t` as an IMF-fixdate into `buf` (at least 30 bytes); returns the 29 characters.
std::string_view format_http_date(std::time_t t, char* buf) noexcept;
/// Parses an IMF-fixdate; -1 if it is not one (obsolete formats are not accepted).
std::time_t parse_http_date(std::string_view s) noexcept;

}  // namespace coring::http::detail
