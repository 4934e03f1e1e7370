// Glob matching with one backtrack point for the last '*': linear memory, no recursion.
#include "glob.hpp"

#include <cstddef>
#include <utility>

namespace kv {
namespace {

// Matches one class "[...]" starting at p[i] == '['; sets `end` to the index after ']'.
bool class_match(std::string_view p, std::size_t i, char c, std::size_t& end) noexcept {
  ++i;
  bool negate = false;
  if (i < p.size() && p[i] == '^') negate = true, ++i;
  bool hit = false;
  bool first = true;
  while (i < p.size() && (p[i] != ']' || first)) {
    first = false;
    if (p[i] == '\\' && i + 1 < p.size()) {
      hit |= p[i + 1] == c;
      i += 2;
    } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      char lo = p[i], hi = p[i + 2];
      if (lo > hi) std::swap(lo, hi);
      hit |= c >= lo && c <= hi;
      i += 3;
    } else {
      hit |= p[i] == c;
      ++i;
    }
  }
  end = i < p.size() ? i + 1 : i;  // an unclosed class runs to the end of the pattern
  return hit != negate;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view s) noexcept {
  std::size_t pi = 0, si = 0;
  std::size_t star = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      const char c = p[pi];
      if (c == '*') {
        star = pi++;
        star_s = si;
        continue;
      }
      std::size_t next = pi + 1;
      bool hit;
      if (c == '?') hit = true;
      else if (c == '[') hit = class_match(p, pi, s[si], next);
      else if (c == '\\' && pi + 1 < p.size()) hit = p[pi + 1] == s[si], next = pi + 2;
      else hit = c == s[si];
      if (hit) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace kv
