// The logger's internal entry point: fmt formatting, and nothing formatted below the level.
#pragma once

#include <fmt/core.h>

#include "coring/log.hpp"

namespace coring::detail {

using coring::LogLevel;
using coring::log_level;
void log_write(LogLevel level, fmt::string_view text) noexcept;

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level > log_level()) return;
  log_write(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace coring::detail
