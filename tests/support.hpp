// Test support: run a task on a named backend, and the backend tags every network test is templated on.
#pragma once

#include <doctest/doctest.h>

#include <functional>

#include "coring/coring.hpp"

namespace coring::test {

struct Uring {
  static constexpr Backend backend = Backend::uring;
  static constexpr const char* name = "uring";
};
struct Epoll {
  static constexpr Backend backend = Backend::epoll;
  static constexpr const char* name = "epoll";
};
#define CORING_BACKENDS ::coring::test::Uring, ::coring::test::Epoll

/// Runs `make()` (returning Task<T>) to completion on a fresh runtime of
/// backend B. Returns false (and reports a skip) when io_uring is unavailable.
template <class B, class F>
bool run_on(F&& make, RuntimeOptions opts = {}) {
  opts.backend = B::backend;
  Runtime rt(opts);
  if (rt.backend() != B::backend) {
    MESSAGE("skipped on " << B::name << ": " << rt.fallback_reason());
    return false;
  }
  rt.block_on(make());
  return true;
}

/// A loopback listener on an ephemeral port.
inline Listener listen_local(ListenOptions opts = {}) {
  auto l = Listener::bind("127.0.0.1:0", opts);
  REQUIRE(l);
  return std::move(*l);
}

}  // namespace coring::test
