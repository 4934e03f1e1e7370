// libFuzzer target: coring-kv's RESP parser never crashes, parses any input cut anywhere exactly as in one piece, and parse_whole agrees.
//
// Input: byte 0 places one cut (as a fraction of the rest); the rest is the request stream.
// Run it with scripts/fuzz.sh kv.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kv/resp_parser.hpp"

namespace {

const kv::RespLimits kLimits{.max_bulk = 256, .max_array = 16, .max_inline = 128, .max_request = 1024};

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view in, std::size_t cut) {
  kv::RespByteParser p(kLimits);
  Outcome o;
  auto drain = [&] {
    for (;;) {
      kv::RespStep s = p.next();
      if (s.kind == kv::RespStep::done) {
        if (p.args().empty() || p.args().size() > kLimits.max_array) std::abort();
        o.requests.emplace_back(p.args().begin(), p.args().end());
      } else if (s.kind == kv::RespStep::error) {
        o.error = std::string(s.message);
        return false;
      } else {
        return true;
      }
    }
  };
  p.feed(in.substr(0, cut));
  if (!drain()) return o;
  p.feed(in.substr(cut));
  drain();
  return o;
}

// The session's fast path: parse_whole over the input, request after request, until one goes past the end.
Outcome run_whole(std::string_view in) {
  kv::RespParser p(kLimits);
  Outcome o;
  for (;;) {
    p.reset();
    std::size_t used = 0;
    const kv::RespStep s = p.parse_whole(in, used);
    if (s.kind == kv::RespStep::done) {
      o.requests.emplace_back(p.args().begin(), p.args().end());
    } else if (s.kind == kv::RespStep::error) {
      o.error = std::string(s.message);
      return o;
    } else {
      return o;
    }
    if (used == 0 || used > in.size()) std::abort();
    in.remove_prefix(used);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = in.size() * data[0] / 256;
  const Outcome whole = run(in, in.size());
  const Outcome split = run(in, cut);
  // A line over the limit without its CRLF yet may be reported at a different point: compare only clean runs.
  if (whole.error.empty() && split.error.empty() && !(whole == split)) std::abort();
  // parse_whole parses like the byte parser (which also reports an overlong unterminated line; parse_whole leaves that to the reader).
  const Outcome fast = run_whole(in);
  if (whole.error.empty() && !(fast == whole)) std::abort();
  if (!whole.error.empty() && !fast.error.empty() && !(fast == whole)) std::abort();
  return 0;
}
