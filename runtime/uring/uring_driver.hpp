// The io_uring proactor backend: the kernel does the I/O and posts completions.
#pragma once

#include <memory>
#include <string>

#include "runtime/core/driver.hpp"

namespace coring::detail {

class Loop;
/// Sets up a ring for the calling thread; null with `why` filled when
/// io_uring cannot be used here (the caller falls back to epoll).
std::unique_ptr<Driver> make_uring_driver(Loop& loop, std::string& why);

}  // namespace coring::detail
