// coring-load --timeline: writes the per-bucket event counts as CSV.
#include "timeline.hpp"

#include <cstdio>

namespace coring::load {

bool Timeline::write(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "t_ms,connects,connect_failures,closes,requests,failed_requests\n");
  for (std::size_t i = 0; i < last_; ++i) {
    const auto& r = rows_[i];
    std::fprintf(f, "%.3f,%u,%u,%u,%u,%u\n", double(i) * double(bucket_) / 1e6, r[connect], r[connect_failure], r[close],
                 r[request], r[failed_request]);
  }
  return std::fclose(f) == 0;
}

}  // namespace coring::load
