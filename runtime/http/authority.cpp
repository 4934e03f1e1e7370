// Checks uri-host [ ":" port ] for the Host field and the absolute-form and authority-form targets (RFC 3986).
#include "runtime/http/authority.hpp"

#include <cstdint>

#include "runtime/http/chars.hpp"

namespace coring::http::detail {

namespace {

/// The inside of "[ ... ]": IPv6address (hex digits, ":" and a dotted IPv4 tail) or
/// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
bool ip_literal(std::string_view in) noexcept {
  if (in.empty()) return false;
  if (in.front() == 'v' || in.front() == 'V') {
    std::size_t i = 1;
    while (i < in.size() && is(in[i], kHex)) ++i;
    if (i == 1 || i + 1 >= in.size() || in[i] != '.') return false;
    for (++i; i < in.size(); ++i)
      if (!is(in[i], kRegName) && in[i] != ':') return false;
    return true;
  }
  int colons = 0;
  for (char c : in) {
    if (c == ':') ++colons;
    else if (!is(c, kHex) && c != '.') return false;
  }
  return colons >= 2;  // every IPv6 address has at least two ("::" is the shortest)
}

}  // namespace

// One pass with a table lookup per byte: this runs for the Host field of every request.
bool parse_authority(std::string_view a, Authority& out) noexcept {
  const char* p = a.data();
  const char* const end = p + a.size();
  const char* const host = p;
  if (p != end && *p == '[') {  // IP-literal
    while (p != end && *p != ']') ++p;
    if (p == end || !ip_literal({host + 1, static_cast<std::size_t>(p - host - 1)})) return false;
    ++p;
  } else {  // reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4address is one too
    const auto cls = [](char c) { return kClasses[static_cast<unsigned char>(c)]; };
    for (;;) {
      while (end - p >= 8 && (cls(p[0]) & cls(p[1]) & cls(p[2]) & cls(p[3]) & cls(p[4]) & cls(p[5]) & cls(p[6]) &
                              cls(p[7]) & kRegName))
        p += 8;  // eight lookups and one branch per eight bytes
      while (p != end && is(*p, kRegName)) ++p;
      if (end - p < 3 || *p != '%' || !is(p[1], kHex) || !is(p[2], kHex)) break;
      p += 3;
    }
  }
  out.host = {host, static_cast<std::size_t>(p - host)};
  out.port = {};
  out.colon = false;
  if (p == end) return true;
  if (*p != ':') return false;
  out.colon = true;
  out.port = {p + 1, static_cast<std::size_t>(end - p - 1)};
  if (out.port.size() > 5) return false;  // leading zeros beyond five digits are refused too
  unsigned port = 0;
  for (char c : out.port) {
    const unsigned d = static_cast<unsigned char>(c - '0');
    if (d > 9) return false;
    port = port * 10 + d;
  }
  return port <= 65535;
}

[[gnu::tls_model("initial-exec")]] constinit thread_local HostMemo t_host_memo;

bool check_host_field(std::string_view v) noexcept {
  HostMemo& m = t_host_memo;
  Authority a;
  if (!parse_authority(v, a)) return false;
  if (v.size() >= 8 && v.size() <= sizeof m.bytes) {
    __builtin_memcpy(m.bytes, v.data(), v.size());
    m.len = v.size();
  }
  return true;
}

}  // namespace coring::http::detail
