// RESP2 reply encoding: appends simple strings, errors, integers, bulk strings and array headers to a std::string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace kv::reply {

inline void simple(std::string& o, std::string_view s) { o.append("+").append(s).append("\r\n"); }
inline void ok(std::string& o) { o.append("+OK\r\n"); }
/// `s` is the whole error text, with its code ("ERR ...", "WRONGTYPE ...").
inline void error(std::string& o, std::string_view s) { o.append("-").append(s).append("\r\n"); }
inline void integer(std::string& o, int64_t v) { fmt::format_to(std::back_inserter(o), ":{}\r\n", v); }
inline void bulk(std::string& o, std::string_view s) {
  fmt::format_to(std::back_inserter(o), "${}\r\n", s.size());
  o.append(s).append("\r\n");
}
inline void nil(std::string& o) { o.append("$-1\r\n"); }
inline void array(std::string& o, std::size_t n) { fmt::format_to(std::back_inserter(o), "*{}\r\n", n); }

inline constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
inline constexpr std::string_view syntax = "ERR syntax error";
inline constexpr std::string_view oom = "OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace kv::reply
