// The header field rules of RFC 9112: Content-Length, Transfer-Encoding, Connection, Expect, Host, target forms.
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
bool name_is(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((name[i] | 0x20) != lower[i]) return false;
  return true;
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

int Parser::Impl::check_target(const Parser& p, std::string_view& reason) noexcept {
  std::string_view t = p.head_.target;
  if (t.front() == '/') return 0;  // origin-form
  if (t == "*") return p.head_.method == "OPTIONS" ? 0 : (reason = "asterisk-form outside OPTIONS", 400);
  if (p.head_.method == "CONNECT") return 0;  // authority-form; the server decides whether it serves CONNECT
  // absolute-form: scheme ":" ...
  std::size_t i = 0;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(t[0])) return reason = "invalid request-target", 400;
  while (i < t.size() && (alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' || t[i] == '.'))
    ++i;
  if (i == t.size() || t[i] != ':') return reason = "invalid request-target", 400;
  return 0;
}

}  // namespace coring::http
