// http::Response: what a handler returns: status, body, content type and extra header fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "coring/fs/file.hpp"
#include "coring/http/body_writer.hpp"

namespace coring::http {

/// The reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

/// A body sent from a file: `length` bytes of `file` from `offset`, with
/// Stream::send_file (no copy through user space where the backend can;
/// memory bounded whatever the size).
struct FileBody {
  File file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// A response. The server adds Date, Server, Content-Length and Connection
/// itself, and leaves the body out for HEAD requests and 204/304 answers.
struct Response {
  int status = 200;
  std::string body;
  /// Must outlive the response: use a string literal (the default suits text).
  std::string_view content_type = "text/plain; charset=utf-8";
  /// Extra header fields, already formatted ("Name: value\r\n" each); use add_header().
  std::string headers;
  /// Close the connection after this response.
  bool close = false;
  /// For answers to HEAD only: the Content-Length to announce when `body` is
  /// left empty (e.g. a file's size, without reading the file). -1: body.size().
  /// Ignored for any other request.
  std::int64_t head_length = -1;
  /// When set, the body comes from this file instead of `body` (Content-Length
  /// is its length; HEAD sends only the head). The server sends the head, then
  /// the file, in order with pipelined responses. If the file fails or ends
  /// early mid-body (it shrank), the connection is closed: the client sees a
  /// short body, never other bytes. See Response::from_file.
  std::shared_ptr<FileBody> file;
  /// When set, a coroutine writes the body in pieces after the head (see
  /// Response::stream; `body` and `file` are ignored).
  std::shared_ptr<StreamBody> streamed;

  static Response text(std::string body, int status = 200) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Response json(std::string body, int status = 200) {
    Response r = text(std::move(body), status);
    r.content_type = "application/json";
    return r;
  }
  /// A response whose body is `length` bytes of `file` from `offset`.
  static Response from_file(File file, std::uint64_t offset, std::uint64_t length, int status = 200) {
    Response r;
    r.status = status;
    r.file = std::make_shared<FileBody>(FileBody{std::move(file), offset, length});
    return r;
  }
  /// A response whose body `write_body` writes in pieces: a callable taking a
  /// BodyWriter& and returning Task<Result<void>> (or Task<>). The server sends
  /// the head (with the first write), then runs it; the connection reads nothing
  /// else meanwhile, and later pipelined responses wait their turn. With
  /// `length` >= 0 the head says Content-Length: length, and the body must be
  /// exactly that long (else the connection is closed after it); with -1 it
  /// goes chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 ones.
  /// It is not run for HEAD requests or 204/304 answers. A client that closes
  /// or resets its connection meanwhile cancels it (its writes and waits fail
  /// with operation_canceled). See docs/http.md.
  template <class F>
  static Response stream(F write_body, std::int64_t length = -1, int status = 200) {
    Response r;
    r.status = status;
    r.streamed = std::make_shared<detail::StreamBodyOf<F>>(std::move(write_body), length);
    return r;
  }
  /// A status with its reason phrase as a text body ("404 Not Found\n").
  static Response plain(int status);

  /// Adds a header field. Fields whose name is not a token or whose value
  /// holds CR, LF or NUL are dropped (no header injection).
  Response& add_header(std::string_view name, std::string_view value);
};

}  // namespace coring::http
