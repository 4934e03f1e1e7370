// coring: everything a server needs, in one include.
#pragma once

#include "coring/core/cancel.hpp"
#include "coring/core/spawn.hpp"
#include "coring/core/task.hpp"
#include "coring/core/when_all.hpp"
#include "coring/core/when_any.hpp"
#include "coring/log.hpp"
#include "coring/net/address.hpp"
#include "coring/net/buffer.hpp"
#include "coring/net/listener.hpp"
#include "coring/net/stream.hpp"
#include "coring/result.hpp"
#include "coring/runtime.hpp"
#include "coring/signal.hpp"
#include "coring/time/sleep.hpp"
#include "coring/time/timeout.hpp"
#include "coring/version.hpp"
