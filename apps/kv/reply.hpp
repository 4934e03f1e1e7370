// RESP2 reply encoding: appends simple strings, errors, integers, bulk strings and array headers to a std::string.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace kv::reply {

// Lengths known at compile time: appending a literal as a char* would measure it on every call.
using namespace std::string_view_literals;

inline void simple(std::string& o, std::string_view s) { o.append("+"sv).append(s).append("\r\n"sv); }
inline void ok(std::string& o) { o.append("+OK\r\n"sv); }
/// `s` is the whole error text, with its code ("ERR ...", "WRONGTYPE ...").
inline void error(std::string& o, std::string_view s) { o.append("-"sv).append(s).append("\r\n"sv); }
/// `type` then the decimal `v` and "\r\n": the header of an integer, bulk or array reply.
inline void header(std::string& o, char type, int64_t v) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, v).ptr;
  *end++ = '\r';
  *end++ = '\n';
  o.append(buf, static_cast<std::size_t>(end - buf));
}
inline void integer(std::string& o, int64_t v) { header(o, ':', v); }
inline void bulk(std::string& o, std::string_view s) {
  header(o, '$', static_cast<int64_t>(s.size()));
  o.append(s).append("\r\n"sv);
}
inline void nil(std::string& o) { o.append("$-1\r\n"sv); }
inline void array(std::string& o, std::size_t n) { header(o, '*', static_cast<int64_t>(n)); }

inline constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
inline constexpr std::string_view syntax = "ERR syntax error";
inline constexpr std::string_view oom = "OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace kv::reply
