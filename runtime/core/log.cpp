// The logger: its level (CORING_LOG or set_log_level) and its output to stderr.
#include "runtime/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace coring {
namespace {

LogLevel initial_level() noexcept {
  const char* v = std::getenv("CORING_LOG");
  if (!v) return LogLevel::info;
  auto l = parse_log_level(v);
  return l ? *l : LogLevel::info;
}

std::atomic<int>& level_store() noexcept {
  static std::atomic<int> level{static_cast<int>(initial_level())};
  return level;
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view name) {
  if (name == "error") return LogLevel::error;
  if (name == "warn" || name == "warning") return LogLevel::warn;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return errc::invalid_argument;
}

void set_log_level(LogLevel level) noexcept { level_store().store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel log_level() noexcept { return static_cast<LogLevel>(level_store().load(std::memory_order_relaxed)); }

namespace detail {
void log_write(LogLevel level, fmt::string_view text) noexcept {
  static const char* names[] = {"error", "warn", "info", "debug"};
  std::fprintf(stderr, "coring %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()),
               text.data());
}
}  // namespace detail

}  // namespace coring
