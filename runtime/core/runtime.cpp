// Runtime: picks the backend (io_uring, or epoll with a logged reason) and runs the root task.
#include "coring/runtime.hpp"

#include "runtime/core/log.hpp"
#include "runtime/core/loop.hpp"
#include "runtime/epoll/epoll_driver.hpp"
#ifdef CORING_HAVE_URING
#include "runtime/uring/uring_driver.hpp"
#endif

namespace coring {

Result<Backend> parse_backend(std::string_view name) {
  if (name == "uring" || name == "io_uring") return Backend::uring;
  if (name == "epoll") return Backend::epoll;
  if (name == "auto" || name == "automatic") return Backend::automatic;
  return errc::invalid_argument;
}

std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::uring: return "uring";
    case Backend::epoll: return "epoll";
    default: return "auto";
  }
}

Runtime::Runtime(RuntimeOptions opts) : opts_(opts), loop_(std::make_unique<detail::Loop>(opts)) {
  std::string why;
  if (opts.backend != Backend::epoll) {
#ifdef CORING_HAVE_URING
    loop_->set_driver(detail::make_uring_driver(*loop_, why));
#else
    why = "built without liburing (CORING_WITH_URING=OFF)";
#endif
  }
  if (!loop_->has_driver()) {
    loop_->set_driver(detail::make_epoll_driver(*loop_));
    if (opts.backend != Backend::epoll) {
      loop_->fallback_reason = why;
      detail::log(detail::LogLevel::warn, "io_uring unavailable ({}); falling back to the epoll backend", why);
    }
  }
  // One start-up line: backend, shards, ring features, and the fallback reason if any.
  detail::log(detail::LogLevel::info, "backend {}, 1 shard, {}{}{}", backend_name(), describe(),
              fallback_reason().empty() ? "" : "; fallback because: ", fallback_reason());
}

Runtime::~Runtime() = default;

void Runtime::run_root(Task<> root) {
  loop_->run_root(root.handle());
  root.handle().promise().result();  // rethrows what escaped the root task
}

Backend Runtime::backend() const noexcept { return loop_->driver().backend(); }
std::string_view Runtime::backend_name() const noexcept { return to_string(backend()); }
const std::string& Runtime::fallback_reason() const noexcept { return loop_->fallback_reason; }
std::string Runtime::describe() const { return loop_->driver().describe(); }

RuntimeStats Runtime::stats() const noexcept {
  RuntimeStats s = loop_->stats;
  s.buffers_in_use = loop_->pool().in_use();
  return s;
}

}  // namespace coring
