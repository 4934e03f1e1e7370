// Test support: a raw-socket HTTP/1.1 client that reads responses byte-exactly, and a server started in-process.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "../support.hpp"
#include "coring/http/http.hpp"

namespace coring::http::test {

using namespace std::chrono_literals;

struct Resp {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// Parses a response head up to and including its last field's CRLF: the status, and the
/// fields into `headers` (names lower-cased).
inline int parse_head(std::string_view h, std::map<std::string, std::string>& headers) {
  const int status = std::stoi(std::string(h.substr(9, 3)));
  h.remove_prefix(h.find("\r\n") + 2);
  while (!h.empty()) {
    auto eol = h.find("\r\n");
    auto line = h.substr(0, eol);
    auto colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    headers[name] = std::string(v);
    h.remove_prefix(eol + 2);
  }
  return status;
}

/// A client connection; every read is guarded by a generous timeout so a broken server fails, not hangs.
struct Client {
  Stream s;
  std::string in;

  static Task<Client> connect(SocketAddress addr) {
    auto c = co_await Stream::connect(addr);
    REQUIRE(c);
    co_return Client{std::move(*c), {}};
  }
  Task<bool> send(std::string data) {
    auto r = co_await s.send_all(std::string_view(data));
    co_return bool(r);
  }
  /// Reads more bytes into `in`; false at EOF, error or after 10 s.
  Task<bool> fill() {
    auto b = co_await with_timeout(s.recv(), 10s);
    if (!b || b->empty()) co_return false;
    in.append(b->view());
    co_return true;
  }
  /// The next response (for HEAD or 1xx/204/304: no body is read). nullopt if the connection ended first.
  Task<std::optional<Resp>> read(bool head_request = false) {
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos)
      {
        const bool more = co_await fill();  // not inside the if: GCC 12 miscompiles that
        if (!more) co_return std::nullopt;
      }
    Resp r;
    r.status = parse_head(std::string_view(in.data(), end + 2), r.headers);
    in.erase(0, end + 4);
    std::size_t len = 0;
    if (!head_request && r.status >= 200 && r.status != 204 && r.status != 304 && r.headers.count("content-length"))
      len = std::stoul(r.headers["content-length"]);
    while (in.size() < len)
      {
        const bool more = co_await fill();  // not inside the if: GCC 12 miscompiles that
        if (!more) co_return std::nullopt;
      }
    r.body = in.substr(0, len);
    in.erase(0, len);
    co_return r;
  }
  /// True if the server closed the connection with nothing more to read.
  Task<bool> closed() {
    if (!in.empty()) co_return false;
    auto b = co_await with_timeout(s.recv(), 10s);
    co_return b && b->empty();
  }
  /// One request, one response.
  Task<std::optional<Resp>> roundtrip(std::string req, bool head_request = false) {
    const bool sent = co_await send(std::move(req));
    if (!sent) co_return std::nullopt;
    auto r = co_await read(head_request);
    co_return r;
  }
};

inline std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

/// Starts `server` on a loopback listener and returns its address; the runtime stops it when the test body returns.
inline SocketAddress start(Server& server) {
  Listener l = coring::test::listen_local();
  auto addr = l.local_address();
  spawn(server.serve(std::move(l)));
  return addr;
}

}  // namespace coring::http::test
