// Runtime: owns a shard's event loop and backend (io_uring proactor or epoll reactor) and runs tasks on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coring/core/task.hpp"
#include "coring/result.hpp"
#include "coring/runtime_stats.hpp"

namespace coring {

enum class Backend {
  automatic,  ///< io_uring when the kernel allows it, else epoll (logging why)
  uring,      ///< io_uring proactor; still falls back to epoll if it cannot be set up
  epoll,      ///< epoll reactor
};
/// "uring", "epoll" or "auto".
Result<Backend> parse_backend(std::string_view name);
std::string_view to_string(Backend b);

/// Everything configurable about a runtime; the defaults are safe.
struct RuntimeOptions {
  Backend backend = Backend::automatic;
  /// io_uring submission queue entries (SQEs produced in one loop turn beyond
  /// this are flushed early).
  unsigned sq_entries = 4096;
  /// io_uring completion queue entries: multishot operations post many CQEs
  /// per SQE, so this is the in-flight bound, not the SQ size.
  unsigned cq_entries = 65536;
  /// Receive pool: buffer_count buffers of buffer_size bytes, shared by all
  /// connections of a shard. buffer_count is a power of two, at most 32768.
  uint32_t buffer_size = 4096;
  uint32_t buffer_count = 2048;
  /// A connection's bounded share of the pool: received buffers it may hold
  /// unconsumed before the runtime stops receiving for it (TCP flow control
  /// then pushes back on the peer).
  uint32_t buffers_per_connection = 8;
  /// How long a stopping runtime lets cancelled spawned tasks finish.
  std::chrono::milliseconds drain_timeout{5000};
};

namespace detail {
class Loop;
}

/// A single-shard runtime: the calling thread runs the event loop.
/// (Thread-per-core sharding builds on this: one Runtime loop per core.)
class Runtime {
 public:
  explicit Runtime(RuntimeOptions opts = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs `main` on this thread's loop until it returns, then cancels the
  /// tasks it spawned, drains them (drain_timeout) and destroys the rest.
  template <class T>
  T block_on(Task<T> main) {
    std::optional<detail::TaskResult<T>> out;
    run_root(wrap(std::move(main), out));
    if constexpr (!std::is_void_v<T>) return out->take();
  }

  /// The backend actually running (after any fallback).
  Backend backend() const noexcept;
  std::string_view backend_name() const noexcept;
  /// Why the runtime fell back to epoll; empty if it did not.
  const std::string& fallback_reason() const noexcept;
  /// Ring features in use, e.g. "defer_taskrun single_issuer buf_ring ...".
  std::string describe() const;
  RuntimeStats stats() const noexcept;
  const RuntimeOptions& options() const noexcept { return opts_; }

 private:
  template <class T>
  static Task<> wrap(Task<T> t, std::optional<detail::TaskResult<T>>& out) {
    out.emplace();
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
    } else {
      out->return_value(co_await std::move(t));
    }
  }
  void run_root(Task<> root);

  RuntimeOptions opts_;
  std::unique_ptr<detail::Loop> loop_;
};

}  // namespace coring
