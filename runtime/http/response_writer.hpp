// Serialises responses (status line, Date, Server, framing fields, body) into a connection's output buffer.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "coring/http/response.hpp"
#include "runtime/http/out_buffer.hpp"

namespace coring::http::detail {

/// The head of the last response a server wrote, up to where the length goes:
/// "HTTP/1.1 <status> <reason>\r\nServer: <name>\r\nDate: <now>[\r\nContent-Type: <type>][\r\nContent-Length: ]".
/// One per server (a server and its connections live on one shard); rebuilt when the status,
/// the content type, whether the length follows, or the second changes.
class HeadCache {
 public:
  explicit HeadCache(std::string server_name) : server_name_(std::move(server_name)) {}
  /// `type`: the Content-Type field's value, used when `with_type`.
  std::string_view get(int status, bool with_type, std::string_view type, bool with_length);
  /// The decimal digits of `v` (those of the last length are kept: a route's answers often share it).
  /// The view's first 8 bytes may always be read, even when it is shorter.
  std::string_view digits(std::size_t v) noexcept;

 private:
  void rebuild(int status, bool with_type, std::string_view type, bool with_length, std::time_t now);

  std::string server_name_;
  std::string text_;
  std::string content_type_;
  std::time_t second_ = -1;
  // The wall clock is read again only once the shard's turn clock (steady, read anyway
  // once per loop turn) passes the point where the second read last may have ended.
  std::int64_t recheck_at_ = 0;
  std::size_t number_ = 0;
  char number_text_[24] = {'0'};
  std::size_t number_size_ = 1;
  int status_ = 0;
  bool typed_ = false;
  bool length_ = false;
};

/// 1xx, 204 and 304 answers never carry a body (RFC 9110 §6.4.1).
inline bool status_has_no_body(int status) noexcept {
  return status == 204 || status == 304 || (status >= 100 && status < 200);
}

/// How a response's body is delimited.
enum class Framing : unsigned char {
  length,   ///< Content-Length (of the body, or head_length)
  chunked,  ///< Transfer-Encoding: chunked (a streamed body of unknown length)
  close,    ///< neither: the body ends when the connection closes (HTTP/1.0, unknown length)
};

struct WriteContext {
  int minor_version = 1;   ///< of the request: HTTP/1.0 clients get "Connection: keep-alive" spelled out
  bool keep_alive = true;  ///< the connection stays open after this response
  bool head = false;       ///< a HEAD request: framing fields as for GET, no body
  Framing framing = Framing::length;  ///< chunked and close write the head only (the body follows apart)
};

/// Appends `r` to `out`.
void write_response(OutBuffer& out, HeadCache& cache, const Response& r, const WriteContext& ctx);
/// Appends the interim "100 Continue" response.
void write_continue(OutBuffer& out);

}  // namespace coring::http::detail
