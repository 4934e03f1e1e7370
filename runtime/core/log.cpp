// The logger's level (from CORING_LOG) and its output to stderr.
#include "runtime/core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace coring::detail {

static LogLevel parse_level() noexcept {
  const char* v = std::getenv("CORING_LOG");
  if (!v) return LogLevel::info;
  if (!std::strcmp(v, "error")) return LogLevel::error;
  if (!std::strcmp(v, "warn")) return LogLevel::warn;
  if (!std::strcmp(v, "debug")) return LogLevel::debug;
  return LogLevel::info;
}

LogLevel log_level() noexcept {
  static const LogLevel level = parse_level();
  return level;
}

void log_write(LogLevel level, fmt::string_view text) noexcept {
  static const char* names[] = {"error", "warn", "info", "debug"};
  std::fprintf(stderr, "coring %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()),
               text.data());
}

}  // namespace coring::detail
