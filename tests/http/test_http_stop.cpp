// http::Server at a graceful stop (Runtime::shutdown): in-flight requests are answered and closed, idle keep-alive connections close.
#include <memory>

#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;

namespace {

struct Tally {
  int in_handler = 0;     // requests whose handler is running
  int answered = 0;       // in-flight requests answered 200 with Connection: close
  int closed_after = 0;   // ... and then closed by the server
  int idle_ready = 0;     // idle clients that got their first answer
  int idle_closed = 0;    // idle clients closed by the server
};

Router stop_router(std::shared_ptr<Tally> t) {
  Router r;
  r.get("/", [](Request&) -> Task<Response> { co_return Response::text("hi"); });
  // Holds its request until the stop has begun: in flight when shutdown() is called.
  r.get("/hold", [t](Request&) -> Task<Response> {
    ++t->in_handler;
    while (!stop_requested()) co_await sleep_for(std::chrono::milliseconds(1));
    co_return Response::text("done");
  });
  return r;
}

Task<> busy_client(SocketAddress addr, std::shared_ptr<Tally> t) {
  Client c = co_await Client::connect(addr);
  auto r = co_await c.roundtrip(get("/hold"));
  if (r && r->status == 200 && r->body == "done" && r->header("connection") == "close") ++t->answered;
  const bool closed = co_await c.closed();
  if (closed) ++t->closed_after;
}

Task<> idle_client(SocketAddress addr, std::shared_ptr<Tally> t) {
  Client c = co_await Client::connect(addr);
  auto r = co_await c.roundtrip(get("/"));
  if (r && r->status == 200 && r->header("connection").empty()) ++t->idle_ready;  // kept open
  const bool closed = co_await c.closed();  // waits (idle) until the stop closes it
  if (closed) ++t->idle_closed;
}

}  // namespace

TEST_CASE_TEMPLATE("graceful stop: in-flight requests are answered then closed, idle keep-alive connections close", B,
                   CORING_BACKENDS) {
  // idle_frames 0: the idle connections wait parked, with no frame; 128: in their frames.
  for (std::uint32_t frames : {128u, 0u}) {
  CAPTURE(frames);
  auto t = std::make_shared<Tally>();
  coring::test::run_on<B>([t, frames](Runtime& rt) -> Task<> {
    ServerOptions o;
    o.idle_timeout = std::chrono::hours(1);  // only the stop can close the idle ones
    o.idle_frames = frames;
    Server server(stop_router(t), o);
    SocketAddress addr = start(server);
    constexpr int kBusy = 5, kIdle = 5;
    for (int i = 0; i < kIdle; ++i) spawn(idle_client(addr, t));
    while (t->idle_ready < kIdle) co_await sleep_for(std::chrono::milliseconds(1));
    co_await sleep_for(std::chrono::milliseconds(5));
    if (frames == 0) CHECK(server.stats().connections_parked == kIdle);
    for (int i = 0; i < kBusy; ++i) spawn(busy_client(addr, t));
    while (t->in_handler < kBusy) co_await sleep_for(std::chrono::milliseconds(1));
    co_await rt.shutdown(std::chrono::seconds(20));  // returns as soon as every task has ended by itself
    CHECK(t->answered == kBusy);
    CHECK(t->closed_after == kBusy);
    CHECK(t->idle_closed == kIdle);
    CHECK(server.stats().connections_active == 0);
    CHECK(spawned_count() == 0);
    auto late = co_await Stream::connect(addr);
    CHECK_FALSE(late);  // the listener closed
  });
  }
}
