// A small leveled logger on fmt; silent on the hot path unless CORING_LOG asks for more.
#pragma once

#include <fmt/core.h>

namespace coring::detail {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

/// Current level: CORING_LOG=error|warn|info|debug (default info).
LogLevel log_level() noexcept;
void log_write(LogLevel level, fmt::string_view text) noexcept;

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level > log_level()) return;
  log_write(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace coring::detail
