// The thread-per-connection echo server: the blocking baseline whose collapse named the C10K problem.
#pragma once

#include <cstdint>
#include <string>

namespace coring::apps {

/// Accepts on `addr` and runs one blocking thread per connection until
/// SIGINT/SIGTERM. Returns the process exit code.
int run_threaded_echo(const std::string& addr);

}  // namespace coring::apps
