// Backend fallback: with io_uring_setup denied by a seccomp filter, Runtime{uring} runs on epoll and still serves.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <string>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

#if defined(__x86_64__)
#define CORING_TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CORING_TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

namespace {

#ifdef CORING_TEST_AUDIT_ARCH
/// Installs a seccomp filter on the calling process: io_uring_setup fails
/// with EPERM (what Docker's default profile does), everything else is
/// allowed. A syscall from another ABI (other arch, or x32 numbers) kills
/// the process, so the filter cannot be sidestepped.
bool deny_io_uring_setup() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CORING_TEST_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
#ifdef __x86_64__
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  if (::syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) return true;
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
}
#endif

Task<> echo_once(Listener l) {
  auto s = co_await l.accept();
  if (!s) co_return;
  for (;;) {
    auto b = co_await s->recv();
    if (!b || b->empty()) break;
    if (!co_await s->send_all(*b)) break;
  }
  (void)s->shutdown();
}

/// A listener and a client in one runtime: 256 KiB there and back. No doctest
/// assertions here: this also runs in the forked child.
Task<bool> loopback_echo() {
  auto l = Listener::bind("127.0.0.1:0");
  if (!l) co_return false;
  auto addr = l->local_address();
  spawn(echo_once(std::move(*l)));
  auto c = co_await Stream::connect(addr);
  if (!c) co_return false;
  std::string data(256 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 9));
  std::string back;
  auto [sent, got] = co_await when_all(test::send_and_shutdown(*c, data), test::recv_to_eof(*c, &back));
  co_return sent && got && back == data;
}

bool mentions_seccomp_eperm(const std::string& why) {
  return why.find("Operation not permitted") != std::string::npos || why.find("EPERM") != std::string::npos ||
         why.find("seccomp") != std::string::npos;
}

// Exit codes of the child, for the parent's report.
enum ChildExit : int {
  kOk = 0,
  kNoFilter = 10,
  kSetupNotDenied = 11,
  kNotEpoll = 12,
  kBadReason = 13,
  kEchoFailed = 14,
  kThrew = 15,
  kAutoNotEpoll = 16,
};

const char* describe_exit(int code) {
  switch (code) {
    case kOk: return "ok";
    case kNoFilter: return "could not install the seccomp filter";
    case kSetupNotDenied: return "io_uring_setup was not denied with EPERM";
    case kNotEpoll: return "the runtime did not fall back to epoll";
    case kBadReason: return "fallback_reason() does not explain the EPERM/seccomp (or is set when it should not be)";
    case kEchoFailed: return "the echo over loopback failed on the fallback backend";
    case kThrew: return "an exception escaped";
    case kAutoNotEpoll: return "Backend::automatic did not fall back to epoll with a reason";
    default: return "unknown";
  }
}

#ifdef CORING_TEST_AUDIT_ARCH
int child_main(Backend requested) {
  if (!deny_io_uring_setup()) return kNoFilter;
  io_uring_params p{};
  errno = 0;
  long fd = ::syscall(__NR_io_uring_setup, 4, &p);
  if (fd >= 0 || errno != EPERM) return kSetupNotDenied;

  RuntimeOptions opts;
  opts.backend = requested;
  Runtime rt(opts);
  if (rt.backend() != Backend::epoll) return kNotEpoll;
  if (requested == Backend::epoll) {
    if (!rt.fallback_reason().empty()) return kBadReason;
  } else {
    std::fprintf(stderr, "child: fallback_reason: %s\n", rt.fallback_reason().c_str());
    if (!mentions_seccomp_eperm(rt.fallback_reason())) return kBadReason;
  }
  if (!rt.block_on(loopback_echo())) return kEchoFailed;

  if (requested == Backend::epoll) {  // and what `automatic` does under the same filter
    RuntimeOptions a;
    a.backend = Backend::automatic;
    Runtime rt2(a);
    if (rt2.backend() != Backend::epoll || !mentions_seccomp_eperm(rt2.fallback_reason())) return kAutoNotEpoll;
    if (!rt2.block_on(loopback_echo())) return kEchoFailed;
  }
  return kOk;
}
#endif

}  // namespace

TEST_CASE_TEMPLATE("io_uring denied by seccomp: the runtime falls back to epoll and serves", B, CORING_BACKENDS) {
#ifndef CORING_TEST_AUDIT_ARCH
  MESSAGE("skipped: no seccomp arch constant for this architecture");
#else
  std::fflush(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = kThrew;
    try {
      code = child_main(B::backend);
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child: " << (WIFEXITED(status) ? describe_exit(WEXITSTATUS(status)) : "killed by a signal")
                 << " (status " << status << ")");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == kOk);

  // Without the filter the requested backend itself runs, so the filter is
  // what made the difference.
  RuntimeOptions opts;
  opts.backend = B::backend;
  Runtime rt(opts);
  if (B::backend == Backend::uring && rt.backend() != Backend::uring) {
    MESSAGE("io_uring unavailable in this environment (" << rt.fallback_reason()
                                                         << "); only the fallback half was checked");
    return;
  }
  CHECK(rt.backend() == B::backend);
  CHECK(rt.fallback_reason().empty());
  CHECK(rt.block_on(loopback_echo()));
#endif
}
