// Character classes of RFC 9110/9112 (tchar, field-vchar, ...) as constexpr tables, and ASCII case folding.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace coring::http::detail {

enum CharClass : std::uint8_t {
  kTchar = 1,      // token characters
  kVchar = 2,      // VCHAR: 0x21-0x7E
  kFieldChar = 4,  // field-vchar / obs-text / SP / HTAB: allowed inside a field value
  kHex = 8,
  kQdtext = 16,    // quoted-string text: HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text
  kTarget = 32,    // origin-form bytes (RFC 3986 pchar, "/", "?") except "%", which needs two hex digits after it
  kRegName = 64,   // reg-name bytes (RFC 3986 unreserved, sub-delims) except "%"
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  constexpr std::string_view tchar_punct = "!#$%&'*+-.^_`|~";
  constexpr std::string_view reg_name_punct = "-._~!$&'()*+,;=";  // unreserved and sub-delims
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit || tchar_punct.find(static_cast<char>(c)) != std::string_view::npos) v |= kTchar;
    if (c >= 0x21 && c <= 0x7e) v |= kVchar;
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') v |= kFieldChar;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80)
      v |= kQdtext;
    const bool reg_name = alpha || digit || reg_name_punct.find(static_cast<char>(c)) != std::string_view::npos;
    if (reg_name) v |= kRegName;
    if (reg_name || c == ':' || c == '@' || c == '/' || c == '?') v |= kTarget;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
inline constexpr auto kClasses = make_classes();

inline bool is(char c, CharClass k) noexcept { return kClasses[static_cast<unsigned char>(c)] & k; }
inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}
inline char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

/// ASCII case-insensitive equality (header names, tokens).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

/// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110 §5.6.1), trimmed.
template <class F>
void for_each_list_element(std::string_view v, F&& f) {
  while (!v.empty()) {
    auto comma = v.find(',');
    auto el = trim_ows(v.substr(0, comma));
    if (!el.empty()) f(el);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace coring::http::detail
