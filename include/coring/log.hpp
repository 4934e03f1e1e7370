// Log level control for coring's leveled logger (messages go to stderr).
#pragma once

#include <string_view>

#include "coring/result.hpp"

namespace coring {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

/// "error", "warn", "info" or "debug".
Result<LogLevel> parse_log_level(std::string_view name);
/// Sets the level for the whole process. The default comes from the
/// CORING_LOG environment variable, else info. The hot path never logs.
void set_log_level(LogLevel level) noexcept;
LogLevel log_level() noexcept;

}  // namespace coring
