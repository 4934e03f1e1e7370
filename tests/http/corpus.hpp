// Request corpus shared by the parser unit tests and the http_parser differential test: bytes, expected status, oracle verdict.
#pragma once

#include <string>
#include <vector>

#include "coring/http/parser.hpp"

namespace coring::http::test {

/// How the oracle (nodejs http_parser 2.9, libhttp-parser-dev) relates to RFC 9112 on a case.
enum class Oracle {
  agree,    ///< both accept (with the same method, target, body, keep-alive) or both reject
  lenient,  ///< the oracle accepts what RFC 9112 (or our stated policy) rejects
  strict,   ///< the oracle rejects what RFC 9112 allows
  policy,   ///< a size limit of ours: not compared
};

struct Case {
  const char* name;
  std::string raw;
  int status;  ///< 0: valid; else the error status we must answer with
  Oracle oracle = Oracle::agree;
};

/// Small limits so the size-limit cases stay short (and every-split tests fast).
inline Limits corpus_limits() { return Limits{.max_request_line = 256, .max_header_bytes = 512, .max_headers = 8, .max_body = 64}; }

inline std::vector<Case> corpus() {
  const std::string H = "Host: example.com\r\n";
  return {
      // ---- valid -------------------------------------------------------------------------------
      {"simple GET", "GET / HTTP/1.1\r\n" + H + "\r\n", 0},
      {"query and headers", "GET /a/b?x=1&y=%20 HTTP/1.1\r\n" + H + "User-Agent: t/1.0\r\nAccept: */*\r\n\r\n", 0},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0},
      {"Connection: close", "GET / HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n", 0},
      {"Connection list with close", "GET / HTTP/1.1\r\n" + H + "Connection: keep-alive, Close\r\n\r\n", 0},
      {"POST Content-Length", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello", 0},
      {"Content-Length 0", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n", 0},
      {"chunked", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0},
      {"chunked upper-case hex and coding name", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 0},
      {"chunk extensions", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;a=b;c=\"x \\\"y\"\r\nhello\r\n0;last\r\n\r\n", 0},
      {"chunk extension with BWS", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5 ; a = b\r\nhello\r\n0\r\n\r\n", 0},
      {"trailers", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n", 0},
      {"OWS around values", "GET / HTTP/1.1\r\n" + H + "X-A: \t v w \t\r\n\r\n", 0},
      {"empty field value", "GET / HTTP/1.1\r\n" + H + "X-Empty:\r\nX-E2: \r\n\r\n", 0},
      {"obs-text in value", "GET / HTTP/1.1\r\n" + H + "X-Name: caf\xc3\xa9\r\n\r\n", 0},
      {"leading empty line", "\r\nGET / HTTP/1.1\r\n" + H + "\r\n", 0},
      {"four leading empty lines", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n", 0},
      {"percent-encoded target", "GET /a%20b/%C3%A9?c=%2F&d=:@!$'()*+,; HTTP/1.1\r\n" + H + "\r\n", 0},
      {"Host with port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", 0},
      {"Host IPv6 literal, empty port", "GET / HTTP/1.1\r\nHost: [::1]:\r\n\r\n", 0},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", 0},
      {"absolute-form", "GET http://example.com/x HTTP/1.1\r\n" + H + "\r\n", 0},
      {"absolute-form, other authority than Host", "GET https://other.example:8443/x?y HTTP/1.1\r\n" + H + "\r\n", 0},
      {"absolute-form without a path", "GET http://example.com?x=/y HTTP/1.1\r\n" + H + "\r\n", 0},
      {"Expect 100-continue", "PUT /u HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok", 0},
      {"HEAD", "HEAD /h HTTP/1.1\r\n" + H + "\r\n", 0},
      {"DELETE with body", "DELETE /d HTTP/1.1\r\n" + H + "Content-Length: 1\r\n\r\nx", 0},
      {"extension method", "PURGEX /x HTTP/1.1\r\n" + H + "\r\n", 0, Oracle::strict},
      {"pipelined pair", "GET /1 HTTP/1.1\r\n" + H + "\r\nPOST /2 HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\nabc", 0},
      {"body exactly max_body", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 64\r\n\r\n" + std::string(64, 'b'), 0},

      // ---- request line ------------------------------------------------------------------------
      {"lower-case HTTP", "GET / http/1.1\r\n" + H + "\r\n", 400},
      {"version with garbage", "GET / HTTP/1.1x\r\n" + H + "\r\n", 400},
      {"two-digit minor", "GET / HTTP/1.10\r\n" + H + "\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\n" + H + "\r\n", 505, Oracle::lenient},
      {"HTTP/1.2", "GET / HTTP/1.2\r\n" + H + "\r\n", 505, Oracle::lenient},
      {"HTTP/0.9 style", "GET / HTTP/0.9\r\n" + H + "\r\n", 505, Oracle::lenient},
      {"double space", "GET  / HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"tab separator", "GET\t/ HTTP/1.1\r\n" + H + "\r\n", 400},
      {"invalid method char", "G@T / HTTP/1.1\r\n" + H + "\r\n", 400},
      {"control char in target", "GET /a\x01 HTTP/1.1\r\n" + H + "\r\n", 400},
      {"DEL in target", "GET /a\x7f HTTP/1.1\r\n" + H + "\r\n", 400},
      {"relative target", "GET abc HTTP/1.1\r\n" + H + "\r\n", 400},
      {"fragment in target", "GET /a#b HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"quote in target", "GET /a\"b HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"brace in target", "GET /a{b} HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"non-ASCII in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"bad percent-encoding", "GET /a%zz HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"authority-form outside CONNECT", "GET example.com:80 HTTP/1.1\r\n" + H + "\r\n", 400},
      {"absolute-form with userinfo", "GET http://u@example.com/ HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"empty-line flood", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"asterisk outside OPTIONS", "GET * HTTP/1.1\r\n" + H + "\r\n", 400, Oracle::lenient},
      {"bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", 400, Oracle::lenient},
      {"bare CR after version", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400},
      {"request line too long", "GET /" + std::string(300, 'a') + " HTTP/1.1\r\n" + H + "\r\n", 414, Oracle::policy},

      // ---- field lines -------------------------------------------------------------------------
      {"missing Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400, Oracle::lenient},
      {"duplicate Host", "GET / HTTP/1.1\r\n" + H + H + "\r\n", 400, Oracle::lenient},
      {"Host with a space", "GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", 400, Oracle::lenient},
      {"Host with a path", "GET / HTTP/1.1\r\nHost: example.com/x\r\n\r\n", 400, Oracle::lenient},
      {"Host with a bad port", "GET / HTTP/1.1\r\nHost: example.com:abc\r\n\r\n", 400, Oracle::lenient},
      {"Host with a port over 65535", "GET / HTTP/1.1\r\nHost: example.com:65536\r\n\r\n", 400, Oracle::lenient},
      {"obs-fold", "GET / HTTP/1.1\r\n" + H + "X-A: a\r\n b\r\n\r\n", 400, Oracle::lenient},
      {"whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, Oracle::lenient},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, Oracle::lenient},
      {"empty field name", "GET / HTTP/1.1\r\n" + H + ": a\r\n\r\n", 400},
      {"non-tchar in name", "GET / HTTP/1.1\r\n" + H + "X{A}: a\r\n\r\n", 400},
      {"NUL in value", std::string("GET / HTTP/1.1\r\n") + H + std::string("X-A: a\0b\r\n\r\n", 12), 400},
      {"bare CR in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\rb\r\n\r\n", 400},
      {"control char in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\x0b\r\n\r\n", 400},
      {"header section too large", "GET / HTTP/1.1\r\n" + H + "X-Big: " + std::string(600, 'v') + "\r\n\r\n", 431, Oracle::policy},
      {"too many fields", "GET / HTTP/1.1\r\n" + H + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nI: 8\r\n\r\n", 431, Oracle::policy},
      {"unsupported Expect", "GET / HTTP/1.1\r\n" + H + "Expect: something\r\n\r\n", 417, Oracle::lenient},

      // ---- framing -----------------------------------------------------------------------------
      {"duplicate Content-Length", "POST / HTTP/1.1\r\n" + H + "Content-Length: 1\r\nContent-Length: 1\r\n\r\na", 400},
      {"Content-Length list", "POST / HTTP/1.1\r\n" + H + "Content-Length: 1, 1\r\n\r\na", 400},
      {"Content-Length not a number", "POST / HTTP/1.1\r\n" + H + "Content-Length: abc\r\n\r\n", 400},
      {"negative Content-Length", "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n", 400},
      {"Content-Length with sign", "POST / HTTP/1.1\r\n" + H + "Content-Length: +1\r\n\r\na", 400},
      {"empty Content-Length", "POST / HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n", 400},
      {"Content-Length over max_body", "POST / HTTP/1.1\r\n" + H + "Content-Length: 65\r\n\r\n", 413, Oracle::policy},
      {"huge Content-Length", "POST / HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999999\r\n\r\n", 413, Oracle::policy},
      {"CL and TE", "POST / HTTP/1.1\r\n" + H + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400},
      {"TE gzip", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n", 501},
      {"TE gzip, chunked", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, Oracle::lenient},
      {"TE chunked, gzip", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n", 501},
      {"TE chunked twice", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Oracle::lenient},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Oracle::lenient},
      {"empty TE", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n\r\n", 400},
      {"bad chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"empty chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400},
      {"negative chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk size 0x prefix", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk data too long", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk missing CRLF", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n", 400},
      {"chunk size bare LF", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
      {"chunk extension without name", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400, Oracle::lenient},
      {"chunk extension bad quoting", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n", 400, Oracle::lenient},
      {"chunks over max_body", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'c') + "\r\n1\r\nx\r\n0\r\n\r\n", 413, Oracle::policy},
      {"huge chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", 413, Oracle::policy},
      {"obs-fold in trailer", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n", 400, Oracle::lenient},
      {"bad trailer name", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\nX T: a\r\n\r\n", 400, Oracle::lenient},
  };
}

}  // namespace coring::http::test
