// HTTP dates (RFC 9110 §5.6.7 IMF-fixdate): formatting, parsing, and a cached "now" for the Date field.
#pragma once

#include <ctime>
#include <string_view>

namespace coring::http {

/// Formats `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into `buf` (at least 30 bytes).
std::string_view format_http_date(std::time_t t, char* buf) noexcept;
/// Parses an IMF-fixdate; -1 if `s` is not one (the obsolete RFC 850 and asctime forms are not accepted).
std::time_t parse_http_date(std::string_view s) noexcept;
/// The IMF-fixdate of the current second; formatted at most once per second per thread.
std::string_view http_date_now() noexcept;

}  // namespace coring::http
