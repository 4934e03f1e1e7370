// Start-up pieces every coring app shares: the --log-level option and raising the fd limit.
#pragma once

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <string>

#include "coring/log.hpp"

namespace coring::apps {

/// --log-level error|warn|info|debug; without it the level comes from CORING_LOG (else info).
inline void add_log_level_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--log-level", [](const std::string& v) { set_log_level(*parse_log_level(v)); },
         "error | warn | info | debug (default: $CORING_LOG, else info)")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (servers and load generators need many sockets).
inline void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace coring::apps
