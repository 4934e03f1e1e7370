// Test helper: run http::Parser over a request cut into chunks and record what it saw, owning every string.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coring/http/parser.hpp"

namespace coring::http::test {

struct Msg {
  std::string method, target;
  int minor = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::uint64_t content_length = 0;
  bool chunked = false, keep_alive = false, expect_continue = false;
  bool operator==(const Msg&) const = default;
};

struct Parsed {
  std::vector<Msg> msgs;
  int status = 0;          // 0: no error
  bool close = false;
  std::string reason;
  bool incomplete = false;  // input ended inside a request
  bool operator==(const Parsed& o) const {
    return msgs == o.msgs && status == o.status && close == o.close && incomplete == o.incomplete;
  }
};

/// Feeds `chunks` in order. With `detach`, every chunk lives in its own heap
/// block that is scribbled over and freed right after the parser asks for
/// more (after detach()), which proves no view outlives its buffer.
inline Parsed parse_chunks(const std::vector<std::string_view>& chunks, const Limits& limits, bool detach) {
  Parser p(limits);
  Parsed out;
  Msg cur;
  std::vector<std::unique_ptr<char[]>> alive;
  for (std::string_view chunk : chunks) {
    auto block = std::make_unique<char[]>(chunk.size() + 1);
    std::memcpy(block.get(), chunk.data(), chunk.size());
    std::string_view in(block.get(), chunk.size());
    alive.push_back(std::move(block));
    for (;;) {
      Step s = p.feed(in);
      in.remove_prefix(s.consumed);
      if (s.event == Event::need_more) break;
      if (s.event == Event::error) {
        out.status = p.error().status;
        out.close = p.error().close;
        out.reason = std::string(p.error().reason);
        return out;
      }
      if (s.event == Event::body) cur.body.append(s.body);
      if (s.event == Event::done) {
        const RequestHead& h = p.head();
        cur.method = h.method;
        cur.target = h.target;
        cur.minor = h.minor_version;
        for (const Header& f : h.headers) cur.headers.emplace_back(f.name, f.value);
        cur.content_length = h.content_length;
        cur.chunked = h.chunked;
        cur.keep_alive = h.keep_alive;
        cur.expect_continue = h.expect_continue;
        out.msgs.push_back(std::move(cur));
        cur = Msg{};
      }
    }
    if (detach) {
      p.detach();
      std::memset(alive.back().get(), 'Z', chunk.size());
      alive.clear();
    }
  }
  out.incomplete = !p.at_message_start();
  return out;
}

inline Parsed parse_whole(std::string_view raw, const Limits& limits = {}) {
  return parse_chunks({raw}, limits, false);
}

/// Cuts `raw` at the given offsets (ascending).
inline std::vector<std::string_view> cut(std::string_view raw, const std::vector<std::size_t>& at) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (std::size_t a : at) {
    out.push_back(raw.substr(from, a - from));
    from = a;
  }
  out.push_back(raw.substr(from));
  return out;
}

}  // namespace coring::http::test

