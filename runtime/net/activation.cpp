// activation_fds(): systemd's socket-activation variables (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) read and cleared.
#include "coring/net/activation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace coring {

namespace {

constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START

bool parse_number(const char* s, long& out) {
  if (!s || !*s) return false;
  const std::string_view v(s);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && end == v.data() + v.size();
}

Result<std::vector<ActivationFd>> read_variables() {
  const char* pid_s = std::getenv("LISTEN_PID");
  const char* fds_s = std::getenv("LISTEN_FDS");
  if (!pid_s && !fds_s) return std::vector<ActivationFd>{};
  long pid = 0, n = 0;
  if (!parse_number(pid_s, pid) || !parse_number(fds_s, n) || n < 0 || n > 4096) return errc::invalid_argument;
  if (pid != ::getpid()) return std::vector<ActivationFd>{};  // meant for another process
  std::vector<ActivationFd> out;
  std::string_view names = std::getenv("LISTEN_FDNAMES") ? std::getenv("LISTEN_FDNAMES") : "";
  for (int i = 0; i < n; ++i) {
    const int fd = kFirstFd + i;
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return errc::invalid_argument;
    const std::size_t colon = names.find(':');
    out.push_back({fd, std::string(names.substr(0, colon))});
    names = colon == std::string_view::npos ? std::string_view() : names.substr(colon + 1);
  }
  return out;
}

}  // namespace

Result<std::vector<ActivationFd>> activation_fds() {
  auto r = read_variables();
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return r;
}

}  // namespace coring
