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

/// Pieces of one response, copied into the output in one go (left uninitialised: filled by add()).
struct Pieces {
  const char* data[16];
  std::size_t size[16];
  std::size_t n = 0, total = 0;
  void add(std::string_view s) noexcept {
    data[n] = s.data();
    size[n++] = s.size();
    total += s.size();
  }
  void copy_to(std::string& out) const {
    const std::size_t at = out.size();
    out.resize(at + total);
    char* p = out.data() + at;
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(p, data[i], size[i]);
      p += size[i];
    }
  }
};

/// "HTTP/1.1 <status> <reason>\r\nServer: <name>\r\nDate: <now>" for the last status and
/// server name seen on this thread; rebuilt when either changes or the second turns.
std::string_view status_server_date(int status, std::string_view server_name) {
  thread_local std::string cached;
  thread_local int cached_status = 0;
  thread_local const char* cached_date = nullptr;
  thread_local std::string cached_name;
  const std::string_view date = http_date_now();  // the same buffer every second, new contents
  thread_local char cached_date_text[32];
  if (status != cached_status || server_name != cached_name ||
      date.data() != cached_date || std::memcmp(cached_date_text, date.data(), date.size()) != 0) {
    cached.assign("HTTP/1.1 ");
    cached.push_back(static_cast<char>('0' + status / 100));
    cached.push_back(static_cast<char>('0' + status / 10 % 10));
    cached.push_back(static_cast<char>('0' + status % 10));
    cached.push_back(' ');
    cached.append(reason_phrase(status));
    if (!server_name.empty()) cached.append("\r\nServer: ").append(server_name);
    cached.append("\r\nDate: ").append(date);
    cached_status = status;
    cached_name = server_name;
    cached_date = date.data();
    std::memcpy(cached_date_text, date.data(), date.size() < sizeof cached_date_text ? date.size() : sizeof cached_date_text);
  }
  return cached;
}

}  // namespace

void write_response(std::string& out, const Response& r, const WriteContext& ctx) {
  using namespace std::string_view_literals;
  const bool no_body_status = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
  char length_buf[24];
  Pieces p;
  p.add(status_server_date(status, ctx.server_name));
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
  if (r.headers.empty()) {
    p.add("\r\n\r\n"sv);
  } else {
    p.add("\r\n"sv);
    p.add(r.headers);  // each field ends with CRLF
    p.add("\r\n"sv);
  }
  if (!ctx.head && !no_body_status) p.add(r.body);
  p.copy_to(out);
}

void write_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

}  // namespace coring::http::detail
