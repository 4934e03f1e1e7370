// The epoll reactor backend: wait for readiness, then do the syscall in user space.
#pragma once

#include <memory>

#include "runtime/core/driver.hpp"

namespace coring::detail {

class Loop;
std::unique_ptr<Driver> make_epoll_driver(Loop& loop);

}  // namespace coring::detail
