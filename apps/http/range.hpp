// Parsing a single byte Range header field (RFC 9110 §14.2) against a known representation size.
#pragma once

#include <cstdint>
#include <string_view>

namespace coring::apps {

struct ByteRange {
  std::uint64_t first;
  std::uint64_t length;
};

enum class RangeResult {
  ignore,         ///< not a single bytes range we serve (invalid, other unit, several ranges): send 200
  satisfiable,    ///< `out` holds the range: send 206
  unsatisfiable,  ///< send 416 with "Content-Range: bytes */size"
};

/// "bytes=a-b", "bytes=a-" or "bytes=-n".
inline RangeResult parse_range(std::string_view v, std::uint64_t size, ByteRange& out) {
  constexpr std::string_view unit = "bytes=";
  if (v.substr(0, unit.size()) != unit) return RangeResult::ignore;
  v.remove_prefix(unit.size());
  if (v.find(',') != std::string_view::npos) return RangeResult::ignore;  // multipart ranges: not served
  const auto dash = v.find('-');
  if (dash == std::string_view::npos) return RangeResult::ignore;
  auto number = [](std::string_view s, std::uint64_t& n) {
    if (s.empty() || s.size() > 19) return false;
    n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  };
  std::uint64_t a = 0, b = 0;
  const std::string_view first = v.substr(0, dash), last = v.substr(dash + 1);
  if (first.empty()) {  // suffix: the last n bytes
    if (!number(last, b)) return RangeResult::ignore;
    if (b == 0 || size == 0) return RangeResult::unsatisfiable;
    out = {size - (b < size ? b : size), b < size ? b : size};
    return RangeResult::satisfiable;
  }
  if (!number(first, a)) return RangeResult::ignore;
  if (last.empty()) {
    b = size ? size - 1 : 0;
  } else if (!number(last, b) || b < a) {
    return RangeResult::ignore;
  }
  if (a >= size) return RangeResult::unsatisfiable;
  if (b >= size) b = size - 1;
  out = {a, b - a + 1};
  return RangeResult::satisfiable;
}

}  // namespace coring::apps
