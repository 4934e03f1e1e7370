// The routes of coring-http: /, /json, /static/..., /metrics and /healthz.
#pragma once

#include <memory>

#include "coring/http/http.hpp"
#include "health.hpp"
#include "metrics.hpp"
#include "static_files.hpp"

namespace coring::apps {

/// Builds the router; `files` may be null (then /static/ answers 404); `metrics` may be
/// null (then /metrics shows the serving shard's HTTP counters only); `health` may be null
/// (then /healthz always answers 200), else /healthz answers 503 once it is draining.
http::Router make_routes(std::shared_ptr<StaticFiles> files, std::shared_ptr<const ShardMetrics> metrics = nullptr,
                         std::shared_ptr<const Health> health = nullptr);

}  // namespace coring::apps
