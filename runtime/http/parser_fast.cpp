// The parser's fast path: a whole, ordinary request head in one buffer, scanned in one pass; anything else goes to the state machine.
#include <bit>
#include <cstdint>
#include <cstring>

#include "runtime/http/chars.hpp"
#include "runtime/http/parser_impl.hpp"

namespace coring::http {

using detail::is;
using detail::is_ows;

namespace {

/// The end of the run of bytes of class `k` in [p, end).
inline const char* skip(const char* p, const char* end, detail::CharClass k) noexcept {
  while (p != end && is(*p, k)) ++p;
  return p;
}

// Eight bytes at a time, for the long runs (targets, field values). Each test below sets the top
// bit of the bytes it flags; flags past the first may be wrong (a borrow or carry runs on into the
// next byte), but the first flagged byte is always exact, and that is the only one used.
constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
constexpr bool kWords = std::endian::native == std::endian::little;  // byte i of a loaded word is p[i]
inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
inline std::uint64_t below(std::uint64_t x, std::uint64_t n) noexcept { return (x - kOnes * n) & ~x & kHigh; }  // n <= 128
inline std::uint64_t equal(std::uint64_t x, std::uint64_t c) noexcept { return below(x ^ (kOnes * c), 1); }
inline const char* first(const char* p, std::uint64_t flags) noexcept { return p + std::countr_zero(flags) / 8; }

/// True if `p` (8 bytes readable) starts with "HTTP/1.".
inline bool http1(const char* p) noexcept {
  if constexpr (kWords) {
    std::uint64_t want;
    std::memcpy(&want, "HTTP/1.\0", 8);
    return (load(p) & 0x00ffffffffffffffu) == want;
  }
  return std::memcmp(p, "HTTP/1.", 7) == 0;
}

/// The end of the request-target's bytes in [p, end): one table lookup per byte (RFC 3986 pchar, "/",
/// "?"), and "%" only with two hex digits after it. It stops at anything else (a space, or a byte the
/// state machine then rejects or, for "[" and "]" outside origin-form, accepts more slowly).
inline const char* skip_target(const char* p, const char* end) noexcept {
  const auto cls = [](char c) { return detail::kClasses[static_cast<unsigned char>(c)]; };
  // Most targets are short ("/", "/json"): bytes one by one first, and the
  // eight-at-a-time loop only for what is left of a longer one.
  for (const char* stop = end - p > 16 ? p + 16 : end; p != stop; ++p)
    if (!is(*p, detail::kTarget)) break;
  if (p == end || !is(*p, detail::kTarget)) {
    if (end - p < 3 || *p != '%' || !is(p[1], detail::kHex) || !is(p[2], detail::kHex)) return p;
    p += 3;
  }
  for (;;) {
    // Eight lookups and one branch per eight bytes; the byte loop then finds the exact end.
    while (end - p >= 8 && (cls(p[0]) & cls(p[1]) & cls(p[2]) & cls(p[3]) & cls(p[4]) & cls(p[5]) & cls(p[6]) &
                            cls(p[7]) & detail::kTarget))
      p += 8;
    p = skip(p, end, detail::kTarget);
    if (end - p < 3 || *p != '%' || !is(p[1], detail::kHex) || !is(p[2], detail::kHex)) return p;
    p += 3;
  }
}

/// The end of the run of field-value bytes (HTAB, SP, VCHAR, obs-text) in [p, end).
inline const char* skip_field_chars(const char* p, const char* end) noexcept {
  if constexpr (kWords) {
    while (end - p >= 8) {
      const std::uint64_t bad = below(load(p), 0x20) | equal(load(p), 0x7f);  // controls and DEL; HTAB is let back in
      if (bad == 0) {
        p += 8;
        continue;
      }
      p = first(p, bad);
      if (*p != '\t') return p;
      ++p;
    }
  }
  return skip(p, end, detail::kFieldChar);
}

}  // namespace

// Accepts only what the state machine would accept with the very same result (no leading
// empty lines, version 1.0 or 1.1, every budget and field rule met); on anything else it
// forgets what it did and returns 0, and the state machine parses the input from its start,
// finding the exact error or the end of the buffer. So both paths always agree.
std::size_t Parser::Impl::fast_head(Parser& p, const char* s, std::size_t n) noexcept {
  const char* const end = s + n;
  const Limits& lim = p.limits_;
  RequestHead& h = p.head_;

  // request-line = method SP request-target SP HTTP-version CRLF
  const char* c = n > 4 && std::memcmp(s, "GET ", 4) == 0 ? s + 3 : skip(s, end, detail::kTchar);
  if (c == s || c == end || *c != ' ') return 0;  // nothing is changed yet
  h.method = {s, static_cast<std::size_t>(c - s)};
  const char* t = ++c;
  c = skip_target(c, end);
  if (c == t || c == end || *c != ' ') return bail(p);
  h.target = {t, static_cast<std::size_t>(c - t)};
  ++c;
  if (end - c < 10 || !http1(c) || (c[7] != '1' && c[7] != '0') || c[8] != '\r' || c[9] != '\n')
    return bail(p);
  h.minor_version = c[7] - '0';
  c += 10;
  const std::size_t line = static_cast<std::size_t>(c - s);
  std::string_view why;
  // Origin-form of a method other than CONNECT (nearly every request) needs no further check.
  const bool plain = *t == '/' && h.method.size() != 7;
  if (line > lim.max_request_line || (!plain && check_target(p, why) != 0)) return bail(p);

  // *( field-line CRLF ) CRLF
  const char* const fields_begin = c;
  std::size_t nf = 0;
  for (;;) {
    if (c == end) return bail(p);
    if (*c == '\r') break;
    const char* name = c;
    c = skip(c, end, detail::kTchar);
    if (c == name || c == end || *c != ':' || nf == lim.max_headers) return bail(p);
    if (nf == p.fields_cap_ && !p.grow_fields(nf)) return bail(p);
    const std::string_view field_name(name, static_cast<std::size_t>(c - name));
    ++c;
    while (c != end && is_ows(*c)) ++c;
    const char* value = c;
    c = skip_field_chars(c, end);
    if (end - c < 2 || c[0] != '\r' || c[1] != '\n') return bail(p);
    const char* value_end = c;
    while (value_end != value && is_ows(value_end[-1])) --value_end;
    const std::string_view field_value(value, static_cast<std::size_t>(value_end - value));
    c += 2;
    p.fields_[nf++] = Header{field_name, field_value};
    if (on_field(p, field_name, field_value, why) != 0) return bail(p);
  }
  if (end - c < 2 || c[1] != '\n') return bail(p);
  c += 2;
  const std::size_t head_bytes = static_cast<std::size_t>(c - fields_begin);
  if (head_bytes > lim.max_header_bytes) return bail(p);
  p.nfields_ = nf;
  h.headers = {p.fields_.get(), nf};
  if (on_head_end(p, why) != 0) return bail(p);

  p.line_bytes_ = line;
  p.head_bytes_ = head_bytes;
  p.major_ = 1;
  p.started_ = true;
  p.state_ = s_head_done;
  return static_cast<std::size_t>(c - s);
}

std::size_t Parser::Impl::bail(Parser& p) noexcept {
  p.reset();
  return 0;
}

}  // namespace coring::http
