// http::Parser: an incremental, zero-copy HTTP/1.1 request parser (RFC 9112) fed with received buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace coring::http {

/// Bounds on what one request may hold. Past a bound the parser stops with
/// the status in brackets; every bound is checked before any byte past it is
/// looked at, so memory use per connection is fixed by these numbers.
struct Limits {
  std::size_t max_request_line = 8192;   ///< request line incl. CRLF (and leading empty lines) [414]
  std::size_t max_header_bytes = 16384;  ///< all header field lines incl. CRLFs; trailers separately [431]
  std::size_t max_headers = 100;         ///< header fields per request [431]
  std::uint64_t max_body = 1 << 20;      ///< body bytes (Content-Length, or the sum of chunks) [413]
};

/// One header field. Name and value point into the received bytes when the
/// head arrived in one piece, else into the parser's scratch area. The value
/// has leading and trailing whitespace removed.
struct Header {
  std::string_view name;
  std::string_view value;
};

/// What the parser knows about a request once its head is complete.
struct RequestHead {
  std::string_view method;
  std::string_view target;       ///< the request-target as sent (origin, absolute, authority or "*" form)
  int minor_version = 1;         ///< HTTP/1.<minor_version>: 0 or 1
  std::span<const Header> headers;
  std::uint64_t content_length = 0;  ///< body length when !chunked (0 when there is no body)
  bool chunked = false;              ///< Transfer-Encoding: chunked
  bool keep_alive = true;            ///< the client allows another request on this connection
  bool expect_continue = false;      ///< Expect: 100-continue on an HTTP/1.1 request

  /// The first field named `name` (ASCII case-insensitive); empty if there is none.
  std::string_view header(std::string_view name) const noexcept;
  bool has_body() const noexcept { return chunked || content_length > 0; }
};

/// Why a request was rejected: the status to answer with, and whether the
/// connection must close afterwards. Parser errors always close, because the
/// framing of anything after the error cannot be trusted.
struct Error {
  int status = 0;
  bool close = true;
  std::string_view reason;  ///< a short static description ("bad chunk size", ...), for logs and tests
};

enum class Event : std::uint8_t {
  need_more,  ///< every byte was consumed; feed the next buffer
  head,       ///< the request head is complete: see head()
  body,       ///< `body` holds the next piece of the body (a view into the input)
  done,       ///< the request is complete (body and trailers included)
  error,      ///< see error(); the parser stays in this state
};

struct Step {
  Event event;
  std::size_t consumed;   ///< bytes of the input used; feed the rest again
  std::string_view body;  ///< for Event::body
};

/// Parses a stream of pipelined requests from buffers of any size. A request
/// split across any number of buffers parses exactly as if it came in one.
///
/// Loop: `step = p.feed(in); in.remove_prefix(step.consumed);` and act on
/// step.event until it is need_more (then receive more) or error.
///
/// Lifetime: views in head() point into buffers fed since the request began,
/// or into the parser's scratch area. Keep those buffers alive until the
/// request is handled, or call detach() after a need_more step, which copies
/// everything still referenced into scratch so that every buffer fed so far
/// may be released (after `done`, detach() simply forgets the finished
/// request). The next feed() after `done` starts a new request and
/// invalidates head(). The header-field array grows from 16 entries as a
/// head needs (up to max_headers), and the scratch area (max_request_line +
/// max_header_bytes) is allocated the first time a head is split; both are then
/// reused, so nothing is allocated per request. A connection whose requests have
/// at most 16 fields and arrive whole holds 512 bytes of parser storage.
class Parser {
 public:
  explicit Parser(const Limits& limits = {});
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  ~Parser();

  Step feed(std::string_view in) noexcept;
  const RequestHead& head() const noexcept { return head_; }
  const Error& error() const noexcept { return error_; }
  /// Copies every view of the current head that points into fed buffers into scratch.
  void detach() noexcept;
  /// True while no byte of the next request has been seen (idle between requests).
  bool at_message_start() const noexcept;
  /// True once the head is complete and until the request is done.
  bool in_body() const noexcept;
  /// Forgets everything, ready for a new connection.
  void reset() noexcept;
  const Limits& limits() const noexcept { return limits_; }

 private:
  struct Impl;
  friend struct Impl;
  Step scan(std::string_view in) noexcept;  // the byte-by-byte state machine
  Step fail(int status, std::string_view reason, std::size_t consumed) noexcept;
  bool ensure_scratch() noexcept;  // allocates scratch on first use
  bool grow_fields(std::size_t used) noexcept;  // room for one more field: 16 at first, then doubling

  Limits limits_;
  RequestHead head_;
  Error error_;
  std::unique_ptr<Header[]> fields_;    // fields_cap_ entries, at most limits_.max_headers
  std::size_t fields_cap_ = 0;
  std::unique_ptr<char[]> scratch_;     // max_request_line + max_header_bytes bytes, once a head is split
  std::size_t scratch_cap_ = 0;
  std::size_t scratch_len_ = 0;
  std::size_t nfields_ = 0;

  // Token being scanned (method, target, field name or value).
  std::size_t tok_begin_ = 0;  // offset in the current input
  std::size_t tok_scratch_ = 0;  // offset in scratch once the token spilled there
  bool tok_open_ = false;
  bool tok_spilled_ = false;

  std::uint8_t state_ = 0;
  std::uint8_t sub_ = 0;     // empty lines before the request line, hex digits due after a "%" in the target, position
                             // inside "HTTP/x.y", a chunk size's digit count, or a chunk-ext sub-state
  std::uint8_t major_ = 0;   // HTTP major version while the request line is scanned
  bool started_ = false;     // a byte of this message was seen
  bool trailers_ = false;    // parsing the trailer section
  bool saw_cl_ = false, saw_te_ = false, te_other_ = false, saw_host_ = false;
  bool origin_ = false;      // the request-target began with "/" (no IP-literal brackets in it)
  bool conn_close_ = false, conn_keep_alive_ = false, expect_other_ = false;
  std::size_t line_bytes_ = 0;  // request line, or current chunk line
  std::size_t head_bytes_ = 0;  // header section, or trailer section
  std::uint64_t remaining_ = 0; // body bytes left in the message or the chunk
  std::uint64_t body_seen_ = 0; // body bytes so far (chunked)
  std::string_view name_;       // field name while its value is scanned
};

}  // namespace coring::http
