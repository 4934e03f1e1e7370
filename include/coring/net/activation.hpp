// Socket activation: the listening sockets systemd (or another launcher using its protocol) passed to this process.
#pragma once

#include <string>
#include <vector>

#include "coring/result.hpp"

namespace coring {

/// One descriptor passed by the launcher, with its name (FileDescriptorName=
/// in the .socket unit; "" when LISTEN_FDNAMES is absent).
struct ActivationFd {
  int fd;
  std::string name;
};

/// The descriptors of systemd's socket-activation protocol, as sd_listen_fds(1)
/// reads them: when LISTEN_PID is this process, LISTEN_FDS descriptors starting
/// at 3, named by the colon-separated LISTEN_FDNAMES. Sets FD_CLOEXEC on them
/// and unsets the three variables in every case, so that a child process does
/// not take them for its own. Empty when the variables are absent or name
/// another process; `invalid_argument` when they are malformed or a descriptor
/// is not open. Call it once, before threads start (it changes the
/// environment); hand each fd to Listener::adopt().
Result<std::vector<ActivationFd>> activation_fds();

}  // namespace coring
