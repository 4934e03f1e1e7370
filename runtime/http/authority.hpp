// uri-host [ ":" port ] (RFC 3986 §3.2.2-3.2.3), as a Host field value and in absolute-form and authority-form targets.
#pragma once

#include <cstddef>
#include <cstdint>
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

/// Host values repeat: nearly every request a server sees names one of a few
/// hosts. The last value found valid on this thread (8 to 32 bytes) is
/// remembered, and a request that repeats it is not checked again: a length
/// test and a few word compares instead of a pass over every byte.
struct HostMemo {
  std::size_t len = 0;
  char bytes[32] = {};
};
[[gnu::tls_model("initial-exec")]] extern thread_local constinit HostMemo t_host_memo;  // constinit: no TLS wrapper call

/// parse_authority() for a Host field value, and the memo updated.
bool check_host_field(std::string_view v) noexcept;

inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w;
  __builtin_memcpy(&w, p, 8);
  return w;
}

/// Whether `v` is a valid Host field value: from the memo when it repeats it.
inline bool valid_host_field(std::string_view v) noexcept {
  const HostMemo& m = t_host_memo;
  const std::size_t n = v.size();
  if (n == m.len && n >= 8) {  // overlapping word compares that stay inside both (8 <= n <= 32)
    const char* a = v.data();
    std::uint64_t diff = (load_word(a) ^ load_word(m.bytes)) | (load_word(a + n - 8) ^ load_word(m.bytes + n - 8));
    if (n > 16) diff |= (load_word(a + 8) ^ load_word(m.bytes + 8)) | (load_word(a + n - 16) ^ load_word(m.bytes + n - 16));
    if (diff == 0) return true;
  }
  return check_host_field(v);
}

}  // namespace coring::http::detail
