// Response serialisation: the server's cached head, then the length, the fields and the body, copied in one go.
#include "runtime/http/response_writer.hpp"

#include <cstdint>
#include <cstring>

#include "coring/detail/loop_hooks.hpp"
#include "coring/http/date.hpp"

namespace coring::http::detail {

namespace {

char* put(char* p, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

std::uint64_t word(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

/// Equal bytes, compared a word at a time, the last word overlapping (content types are short; no library call).
bool same(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  for (std::size_t i = 0; i + 8 < n; i += 8)
    if (word(a.data() + i) != word(b.data() + i)) return false;
  return word(a.data() + n - 8) == word(b.data() + n - 8);
}

}  // namespace

std::string_view HeadCache::digits(std::size_t v) noexcept {
  if (v != number_) {
    number_ = v;
    char* end = number_text_ + sizeof number_text_;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    number_size_ = static_cast<std::size_t>(end - p);
    std::memmove(number_text_, p, number_size_);
  }
  return {number_text_, number_size_};
}

std::string_view HeadCache::get(int status, bool with_type, std::string_view type, bool with_length) {
  std::time_t second = second_;
  if (const std::int64_t turn = coring::detail::turn_ns(); turn >= recheck_at_) [[unlikely]] {
    // Once a second (at most a loop turn's work late, and the coarse clock's tick):
    // the wall-clock second, and the steady time by which it will have ended.
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    second = ts.tv_sec;
    recheck_at_ = turn + (1'000'000'000 - ts.tv_nsec);
  }
  if (status != status_ || with_type != typed_ || with_length != length_ || second != second_ ||
      (with_type && !same(type, content_type_)))
    rebuild(status, with_type, type, with_length, second);
  return text_;
}

void HeadCache::rebuild(int status, bool with_type, std::string_view type, bool with_length, std::time_t now) {
  char date[32];
  text_.assign("HTTP/1.1 ");
  text_.push_back(static_cast<char>('0' + status / 100));
  text_.push_back(static_cast<char>('0' + status / 10 % 10));
  text_.push_back(static_cast<char>('0' + status % 10));
  text_.push_back(' ');
  text_.append(reason_phrase(status));
  if (!server_name_.empty()) text_.append("\r\nServer: ").append(server_name_);
  text_.append("\r\nDate: ").append(format_http_date(now, date));
  if (with_type) text_.append("\r\nContent-Type: ").append(type);
  if (with_length) text_.append("\r\nContent-Length: ");
  status_ = status;
  typed_ = with_type;
  length_ = with_length;
  second_ = now;
  content_type_.assign(with_type ? type : std::string_view());
}

namespace {

/// The connection field for `ctx` ("" for an HTTP/1.1 keep-alive answer).
std::string_view connection_field(const WriteContext& ctx) noexcept {
  using namespace std::string_view_literals;
  return !ctx.keep_alive ? "\r\nConnection: close"sv : ctx.minor_version == 0 ? "\r\nConnection: keep-alive"sv : ""sv;
}

/// The head of a response whose body follows apart with no Content-Length: chunked, or
/// delimited by the close (kept out of write_response, whose every response has a length).
[[gnu::noinline]] void write_unsized_head(OutBuffer& out, HeadCache& cache, const Response& r, const WriteContext& ctx) {
  using namespace std::string_view_literals;
  const bool no_body_status = status_has_no_body(r.status);
  const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
  const std::string_view head = cache.get(status, !no_body_status, r.content_type, false);
  const std::string_view chunked =
      ctx.framing == Framing::chunked && !no_body_status ? "\r\nTransfer-Encoding: chunked"sv : ""sv;
  const std::string_view connection = connection_field(ctx);
  char* p = out.extend(head.size() + chunked.size() + connection.size() + 2 + r.headers.size() + 2);
  p = put(p, head);
  p = put(p, chunked);
  p = put(p, connection);
  *p++ = '\r';
  *p++ = '\n';
  p = put(p, r.headers);  // each field ends with CRLF
  *p++ = '\r';
  *p = '\n';
}

}  // namespace

void write_response(OutBuffer& out, HeadCache& cache, const Response& r, const WriteContext& ctx) {
  using namespace std::string_view_literals;
  if (ctx.framing != Framing::length) [[unlikely]] return write_unsized_head(out, cache, r, ctx);
  const bool no_body_status = status_has_no_body(r.status);
  const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
  const std::size_t length =
      no_body_status ? 0 : ctx.head && r.head_length >= 0 ? static_cast<std::size_t>(r.head_length) : r.body.size();
  const std::string_view head = cache.get(status, length != 0, r.content_type, !no_body_status);
  const std::string_view digits = no_body_status ? std::string_view() : cache.digits(length);
  const std::string_view connection = connection_field(ctx);
  const std::string_view body = !ctx.head && !no_body_status ? std::string_view(r.body) : ""sv;
  char* p = out.extend(head.size() + digits.size() + connection.size() + 2 + r.headers.size() + 2 + body.size());
  p = put(p, head);
  if (digits.size() <= 8) {  // one fixed-size store (the cache's digit buffer and the slack make room)
    if (!digits.empty()) std::memcpy(p, digits.data(), 8);
    p += digits.size();
  } else {
    p = put(p, digits);
  }
  p = put(p, connection);
  *p++ = '\r';
  *p++ = '\n';
  p = put(p, r.headers);  // each field ends with CRLF
  *p++ = '\r';
  *p++ = '\n';
  put(p, body);
}

void write_continue(OutBuffer& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

}  // namespace coring::http::detail
