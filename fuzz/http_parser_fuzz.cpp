// libFuzzer target: http::Parser must never crash, and must parse any input cut anywhere exactly as in one piece.
//
// Input: byte 0 = number of cuts (low 3 bits) and whether to detach (bit 3); the next bytes
// place the cuts; the rest is the request stream. Run it with scripts/fuzz.sh.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "../tests/http/parse_util.hpp"

using namespace coring::http;

namespace {
const Limits kLimits{.max_request_line = 512, .max_header_bytes = 1024, .max_headers = 16, .max_body = 4096};

bool valid_status(int s) {
  switch (s) {
    case 0: case 400: case 413: case 414: case 417: case 431: case 501: case 505: return true;
    default: return false;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const unsigned ncuts = data[0] & 7;
  const bool detach = data[0] & 8;
  if (size < 1 + ncuts) return 0;
  std::string_view raw(reinterpret_cast<const char*>(data + 1 + ncuts), size - 1 - ncuts);
  std::vector<std::size_t> cuts;
  for (unsigned i = 0; i < ncuts; ++i) cuts.push_back(raw.empty() ? 0 : data[1 + i] * raw.size() / 256);
  std::sort(cuts.begin(), cuts.end());

  const test::Parsed whole = test::parse_whole(raw, kLimits);
  if (!valid_status(whole.status)) std::abort();
  for (const auto& m : whole.msgs)
    if (m.body.size() > kLimits.max_body) std::abort();
  const test::Parsed split = test::parse_chunks(test::cut(raw, cuts), kLimits, detach);
  if (!(split == whole)) std::abort();
  return 0;
}
