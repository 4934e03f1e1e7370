// coring-http's handlers: plaintext, JSON, static files, Prometheus metrics and a health check (503 while draining).
#include "routes.hpp"

namespace coring::apps {

using http::Request;
using http::Response;

http::Router make_routes(std::shared_ptr<StaticFiles> files, std::shared_ptr<const ShardMetrics> metrics,
                         std::shared_ptr<const Health> health) {
  http::Router r;
  r.get("/", [](Request&) { return Response::text("Hello, World!"); });  // plain handlers: no coroutine frame
  r.get("/json", [](Request&) { return Response::json(R"({"message":"Hello, World!"})"); });
  r.get("/healthz", [health](Request&) {  // 503 while draining: a load balancer takes the server out of its pool
    return health && health->draining() ? Response::text("draining\n", 503) : Response::text("ok\n");
  });
  r.get("/metrics", [metrics](Request& req) -> Task<Response> {
    Response resp;
    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (metrics) resp.body = co_await metrics->render();         // every shard, labelled
    else if (req.stats) req.stats->render_prometheus(resp.body);  // this shard's counters
    co_return resp;
  });
  if (files) {
    r.get("/static/*", [files](Request& req) -> Task<Response> { return (*files)(req); });
  }
  return r;
}

}  // namespace coring::apps
