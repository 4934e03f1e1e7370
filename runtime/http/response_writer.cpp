// Response serialisation: one append per field into a reused buffer; no allocation once it has grown.
#include "runtime/http/response_writer.hpp"

#include <charconv>

#include "coring/http/date.hpp"

namespace coring::http::detail {

namespace {
void append_number(std::string& out, std::size_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}
}  // namespace

void write_response(std::string& out, const Response& r, const WriteContext& ctx) {
  const bool no_body_status = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(r.status));
  out.push_back(' ');
  out.append(reason_phrase(r.status));
  out.append("\r\n");
  if (!ctx.server_name.empty()) out.append("Server: ").append(ctx.server_name).append("\r\n");
  out.append("Date: ").append(http_date_now()).append("\r\n");
  if (!no_body_status) {
    const std::size_t length =
        ctx.head && r.head_length >= 0 ? static_cast<std::size_t>(r.head_length) : r.body.size();
    if (length != 0) out.append("Content-Type: ").append(r.content_type).append("\r\n");
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
  }
  if (!ctx.keep_alive) out.append("Connection: close\r\n");
  else if (ctx.minor_version == 0) out.append("Connection: keep-alive\r\n");
  out.append(r.headers);
  out.append("\r\n");
  if (!ctx.head && !no_body_status) out.append(r.body);
}

void write_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

}  // namespace coring::http::detail
