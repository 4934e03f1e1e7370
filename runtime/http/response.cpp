// Reason phrases, and building Response values safely (header fields are validated before they are kept).
#include "coring/http/response.hpp"

#include "runtime/http/chars.hpp"

namespace coring::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

Response Response::plain(int status) {
  Response r;
  r.status = status;
  r.body = std::to_string(status);
  r.body += ' ';
  r.body += reason_phrase(status);
  r.body += '\n';
  return r;
}

Response& Response::add_header(std::string_view name, std::string_view value) {
  if (name.empty()) return *this;
  for (char c : name)
    if (!detail::is(c, detail::kTchar)) return *this;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return *this;
  headers.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

}  // namespace coring::http
