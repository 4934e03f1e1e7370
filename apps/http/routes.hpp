// The routes of coring-http: /, /json, /static/..., /metrics and /healthz.
#pragma once

#include <memory>

#include "coring/http/http.hpp"
#include "static_files.hpp"

namespace coring::apps {

/// Builds the router; `files` may be null (then /static/ answers 404).
http::Router make_routes(std::shared_ptr<StaticFiles> files);

}  // namespace coring::apps
