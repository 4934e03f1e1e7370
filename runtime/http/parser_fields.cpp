// The header field rules of RFC 9112: Content-Length, Transfer-Encoding, Connection, Expect, Host, target forms.
#include "runtime/http/authority.hpp"
#include "runtime/http/chars.hpp"
#include "runtime/http/parser_impl.hpp"

namespace coring::http {

using detail::iequals;

std::string_view RequestHead::header(std::string_view name) const noexcept {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

namespace {
/// Equality of a field name (tchars only) with a lowercase name of letters and '-': for a
/// tchar, c | 0x20 is a lowercase letter or '-' only if c is that letter in either case or '-'.
/// A word at a time (overlapping loads; the callers' names are 4 to 17 bytes long).
template <std::size_t N>
bool name_is(std::string_view name, const char (&lower)[N]) noexcept {
  constexpr std::size_t n = N - 1;
  static_assert(n >= 4);
  if (name.size() != n) return false;
  const char* a = name.data();
  if constexpr (n < 8) {
    auto w4 = [](const char* p) {
      std::uint32_t w;
      __builtin_memcpy(&w, p, 4);
      return w;
    };
    return ((w4(a) | 0x20202020u) == w4(lower)) && ((w4(a + n - 4) | 0x20202020u) == w4(lower + n - 4));
  } else {
    constexpr std::uint64_t k = 0x2020202020202020u;
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if ((detail::load_word(a + i) | k) != detail::load_word(lower + i)) return false;
    return (detail::load_word(a + n - 8) | k) == detail::load_word(lower + n - 8);
  }
}
}  // namespace

int Parser::Impl::on_field(Parser& p, std::string_view name, std::string_view value, std::string_view& reason) noexcept {
  // Only five names matter here; their lengths differ, so the length picks the one to compare.
  switch (name.size()) {
    case 14:
      if (name_is(name, "content-length")) {
        // RFC 9112 §6.3: duplicated or list-valued lengths are rejected outright (no "5, 5" merging).
        if (p.saw_cl_) return reason = "duplicate Content-Length", 400;
        p.saw_cl_ = true;
        if (value.empty()) return reason = "empty Content-Length", 400;
        std::uint64_t n = 0;
        for (char c : value) {
          if (c < '0' || c > '9') return reason = "invalid Content-Length", 400;
          unsigned d = static_cast<unsigned>(c - '0');
          n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;  // saturates: over max_body anyway
        }
        p.head_.content_length = n;
      }
      break;
    case 17:
      if (name_is(name, "transfer-encoding")) {
        p.saw_te_ = true;
        bool bad = false;
        detail::for_each_list_element(value, [&](std::string_view coding) {
          if (iequals(coding, "chunked")) {
            if (p.head_.chunked) bad = true;  // chunked applied twice
            p.head_.chunked = true;
          } else {
            p.te_other_ = true;  // gzip, deflate, chunked;ext, chunked followed by anything...
          }
        });
        if (bad) return reason = "chunked applied more than once", 400;
      }
      break;
    case 10:
      if (name_is(name, "connection")) {
        detail::for_each_list_element(value, [&](std::string_view opt) {
          if (iequals(opt, "close")) p.conn_close_ = true;
          else if (iequals(opt, "keep-alive")) p.conn_keep_alive_ = true;
        });
      }
      break;
    case 6:
      if (name_is(name, "expect")) {
        if (iequals(value, "100-continue")) p.head_.expect_continue = true;
        else p.expect_other_ = true;
      }
      break;
    case 4:
      if (name_is(name, "host")) {
        if (p.saw_host_) return reason = "duplicate Host", 400;
        p.saw_host_ = true;
        // RFC 9112 §3.2: Host = uri-host [ ":" port ]; an empty value is allowed (no authority).
        if (!detail::valid_host_field(value)) return reason = "invalid Host", 400;
      }
      break;
    default:
      break;
  }
  return 0;
}

int Parser::Impl::on_head_end(Parser& p, std::string_view& reason) noexcept {
  RequestHead& h = p.head_;
  if (h.minor_version == 1 && !p.saw_host_) return reason = "missing Host", 400;
  if (p.saw_te_) {
    if (p.saw_cl_) return reason = "both Content-Length and Transfer-Encoding", 400;
    if (h.minor_version == 0) return reason = "Transfer-Encoding in HTTP/1.0", 400;
    if (p.te_other_) return reason = "unsupported transfer coding", 501;
    if (!h.chunked) return reason = "empty Transfer-Encoding", 400;
    h.content_length = 0;
  } else if (h.content_length > p.limits_.max_body) {
    return reason = "body larger than max_body", 413;
  }
  // HTTP/1.0 has no 100 (Continue): RFC 9110 §10.1.1 says to ignore the expectation.
  if (h.minor_version == 0) h.expect_continue = false;
  if (p.expect_other_) return reason = "unsupported expectation", 417;
  h.keep_alive = h.minor_version == 1 ? !p.conn_close_ : (p.conn_keep_alive_ && !p.conn_close_);
  return 0;
}

namespace {
/// The forms other than origin-form (`t` does not begin with "/"); 0 or 400 with the reason.
[[gnu::noinline]] int check_other_forms(std::string_view t, bool connect, bool options, std::string_view& reason) noexcept {
  if (t == "*") return options ? 0 : (reason = "asterisk-form outside OPTIONS", 400);
  detail::Authority a;
  if (connect) {  // authority-form = uri-host ":" port; the server decides whether it serves CONNECT
    if (!detail::parse_authority(t, a) || a.host.empty() || a.port.empty())
      return reason = "invalid authority-form", 400;
    return 0;
  }
  // absolute-form, which a server must accept (§3.2.2): only "http" and "https" URIs, whose
  // authority must have a host and no userinfo (RFC 9110 §4.2.1, §4.2.4); the path is path-abempty.
  std::size_t at = 0;
  if (t.size() > 7 && detail::iequals(t.substr(0, 7), "http://")) at = 7;
  else if (t.size() > 8 && detail::iequals(t.substr(0, 8), "https://")) at = 8;
  else return reason = "request-target in no form the method allows", 400;
  const std::size_t end = t.find_first_of("/?", at);
  if (!detail::parse_authority(t.substr(at, end - at), a) || a.host.empty())
    return reason = "invalid authority in absolute-form", 400;
  if (end != std::string_view::npos && t.find_first_of("[]", end) != std::string_view::npos)
    return reason = "invalid character in request-target", 400;
  return 0;
}
}  // namespace

int Parser::Impl::check_target(const Parser& p, std::string_view& reason) noexcept {
  // Its bytes were checked as it was scanned (pchar, "/", "?", %XX; "[" and "]" unless it begins
  // with "/"); here its form is checked against the method (RFC 9112 §3.2).
  const std::string_view t = p.head_.target;
  const std::string_view m = p.head_.method;
  const bool connect = m.size() == 7 && m == "CONNECT";
  if (t.front() == '/') [[likely]] {  // origin-form
    if (connect) [[unlikely]] return reason = "CONNECT needs authority-form", 400;
    return 0;
  }
  return check_other_forms(t, connect, m == "OPTIONS", reason);
}

}  // namespace coring::http
