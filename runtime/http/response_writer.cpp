// Response serialisation: the head's pieces are measured, the buffer grown once, and each piece copied in; no allocation once it has grown.
#include "runtime/http/response_writer.hpp"

#include <cstring>

#include "coring/http/date.hpp"

namespace coring::http::detail {

namespace {

/// Decimal digits of `v` into the end of `buf[24]`; returns the view.
std::string_view format_number(std::size_t v, char (&buf)[24]) noexcept {
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return {p, static_cast<std::size_t>(end - p)};
}

/// Pieces of one response, copied into the output in one go.
struct Pieces {
  std::string_view v[24];
  std::size_t n = 0, total = 0;
  void add(std::string_view s) noexcept {
    v[n++] = s;
    total += s.size();
  }
  void copy_to(std::string& out) const {
    const std::size_t at = out.size();
    out.resize(at + total);
    char* p = out.data() + at;
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(p, v[i].data(), v[i].size());
      p += v[i].size();
    }
  }
};

}  // namespace

void write_response(std::string& out, const Response& r, const WriteContext& ctx) {
  using namespace std::string_view_literals;
  const bool no_body_status = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
  const char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                        static_cast<char>('0' + status % 10), ' '};
  char length_buf[24];
  Pieces p;
  p.add("HTTP/1.1 "sv);
  p.add({code, 4});
  p.add(reason_phrase(r.status));
  if (!ctx.server_name.empty()) {
    p.add("\r\nServer: "sv);
    p.add(ctx.server_name);
  }
  p.add("\r\nDate: "sv);
  p.add(http_date_now());
  if (!no_body_status) {
    const std::size_t length =
        ctx.head && r.head_length >= 0 ? static_cast<std::size_t>(r.head_length) : r.body.size();
    if (length != 0) {
      p.add("\r\nContent-Type: "sv);
      p.add(r.content_type);
    }
    p.add("\r\nContent-Length: "sv);
    p.add(format_number(length, length_buf));
  }
  if (!ctx.keep_alive) p.add("\r\nConnection: close"sv);
  else if (ctx.minor_version == 0) p.add("\r\nConnection: keep-alive"sv);
  p.add("\r\n"sv);
  p.add(r.headers);  // each field ends with CRLF
  p.add("\r\n"sv);
  if (!ctx.head && !no_body_status) p.add(r.body);
  p.copy_to(out);
}

void write_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

}  // namespace coring::http::detail
