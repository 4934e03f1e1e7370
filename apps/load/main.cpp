// coring-load: a TCP echo (or HTTP/1.1) load generator on the coring runtime that verifies every answer (closed or open loop).
//
// Each connection sends `--size` bytes, reads exactly that many back and
// compares them byte for byte with what it sent. Closed loop (default): the
// next message goes out as soon as the echo is back; latency is the round
// trip. Open loop (`--rate R`): message k of connection i is due at a fixed
// time t0 + (i / C + k) * C / R, so the whole run offers R requests/s whatever
// the server does; a connection whose previous echo is late sends at once, and
// latency is measured from the due time, not from the actual send (no
// coordinated omission). Messages still unsent when --duration ends are
// counted as "unsent": the server did not keep up with the rate (the
// percentiles then cover only what was sent). Connections are opened in
// batches, each proven with one echoed message before the next batch starts
// (connect.cpp).
//
// With --http, an exchange is --pipeline GET requests sent back to back and
// their responses read and checked (http_exchange.cpp); each request gets
// the batch's latency, as wrk does.
//
// With --reconnect, a connection the server closes (after a `Connection: close`
// response, or found hung up before a send) or that fails is opened again after
// an exponential backoff with full jitter (reconnect.cpp, backoff.hpp); a request
// that got no answer counts as a failed request, not an error. --timeline FILE
// writes what happened per 10 ms bucket (connects, failed connects, closes,
// requests, failed requests), to see a reconnect storm.
//
// SIGINT or SIGTERM ends the closed or open loop early, as if --duration were
// over (a second one ends the process).
//
// Output: one JSON or CSV line on stdout (report.cpp). Exit status 1 on any
// connection error, failed request or verification failure, 2 on bad arguments.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backoff.hpp"
#include "common/app_setup.hpp"
#include "load.hpp"
#include "renew.hpp"

using namespace coring;
using namespace coring::load;

namespace {

Duration seconds(double s) { return Duration(static_cast<int64_t>(s * 1e9)); }

/// Records one verified exchange; false (and the connection closed) on a failure, or with
/// --reconnect when the server closes the connection after this answer.
bool finish(Stream& s, Shared& sh, Outcome o, int64_t since_ns) {
  if (o == Outcome::failed || o == Outcome::verify_failed) {
    ++sh.failed_requests;
    sh.mark(Timeline::failed_request);
    if (!sh.cfg->reconnect || o == Outcome::verify_failed) count(sh, o);  // a lost connection is no error then
    s.close();
    return false;
  }
  sh.mark(Timeline::request);
  const bool closing = o == Outcome::closed && sh.cfg->reconnect;
  if (closing) s.close();
  const uint64_t latency = static_cast<uint64_t>(now_ns() - since_ns);
  if (sh.cfg->http) {  // one exchange is a batch of --pipeline requests, all timed from its start
    for (uint32_t i = 0; i < sh.cfg->pipeline; ++i) sh.hist.record(latency);
    sh.messages += sh.cfg->pipeline;
    return !closing;
  }
  sh.hist.record(latency);
  ++sh.messages;
  sh.bytes += sh.cfg->size;
  return !closing;
}

/// The closed loop of one connection: until --messages are done or the run stops.
Task<> closed_loop(Stream& s, Shared& sh, uint32_t conn, int64_t messages) {
  for (uint64_t k = 1;; ++k) {
    if (messages >= 0 ? k > static_cast<uint64_t>(messages) : sh.stop) break;
    if (lost(s, sh)) co_return;  // --reconnect: closed by the server while idle
    const int64_t t0 = now_ns();
    if (!finish(s, sh, co_await exchange(s, sh, conn, k), t0)) co_return;
  }
}

/// The open loop of connection `conn`, the `nth` of `n` open-loop connections: message k is due
/// at start + (nth / n + k) * interval, interval = n / --rate. It starts at message `next` and
/// leaves there the one to go on with (--reconnect runs it again on a new connection).
Task<> open_loop(Stream& s, Shared& sh, uint32_t conn, uint32_t nth, uint32_t n, Clock::time_point start,
                 Clock::time_point end, uint64_t& next) {
  const double interval_ns = double(n) / sh.cfg->rate * 1e9;
  const double phase_ns = interval_ns * nth / n;  // spreads the connections over one interval
  const double span_ns = double(std::chrono::duration_cast<Duration>(end - start).count());
  const uint64_t due_in_run = span_ns > phase_ns ? uint64_t(std::ceil((span_ns - phase_ns) / interval_ns)) : 0;
  for (uint64_t k = next; k < due_in_run && !sh.stop; next = ++k) {
    const auto due = start + Duration(static_cast<int64_t>(phase_ns + double(k) * interval_ns));
    const auto now = Clock::now();
    if (now >= end) {  // behind schedule when the run ends: what is left was never sent
      sh.unsent += due_in_run - k;
      co_return;
    }
    if (now < due) {
      const bool waited = co_await idle_until(s, sh, conn, due);
      if (!waited) co_return;  // cancelled, or (--reconnect) closed by the server meanwhile
    }
    if (lost(s, sh)) co_return;  // --reconnect: closed by the server while idle; message k goes on the next one
    const int64_t due_ns = std::chrono::duration_cast<Duration>(due.time_since_epoch()).count();
    const Outcome o = co_await exchange(s, sh, conn, k + 1);
    next = k + 1;
    if (!finish(s, sh, o, due_ns)) co_return;
  }
}

/// An idle connection: nothing may arrive on it; the wait ends by cancellation.
Task<> idle_watch(Stream& s, Shared& sh, uint32_t conn) {
  auto r = co_await s.recv();
  if (!r && r.error() == errc::operation_canceled) co_return;
  if (!r) {
    sh.report("idle recv", conn, r.error().message());
    ++sh.errors;
  } else if (r->empty()) {
    sh.report("idle recv", conn, "server closed an idle connection");
    ++sh.errors;
  } else {
    sh.report("idle recv", conn, "unexpected bytes on an idle connection");
    ++sh.verify_failures;
  }
}

/// SIGINT or SIGTERM ends the closed or open loop early, as if --duration were over.
Task<> stop_on_signal(Shared& sh) {
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  if (!sig) co_return;  // cancelled: the run ended first
  std::fprintf(stderr, "coring-load: %s: ending the run\n", strsignal(*sig));
  sh.stop = true;
  unblock_signals(SIGINT, SIGTERM);  // a second one ends the process
}

Task<> stopper(Shared& sh, double secs) {
  co_await sleep_for(seconds(secs));
  sh.stop = true;
}

Task<> run_all(std::vector<Task<>> tasks) { co_await when_all(std::move(tasks)); }

/// run_all() under a deadline: errc::timed_out if it had to be cancelled.
Task<Result<void>> run_all_within(std::vector<Task<>> tasks, Duration limit) {
  co_return co_await with_timeout(run_all(std::move(tasks)), limit);
}

/// --hold-idle: K active connections echo (closed loop, or open loop at --rate in total),
/// the others must stay silent, for --duration.
Task<> hold_idle(std::vector<Stream>& streams, Shared& sh, Duration guard) {
  const Config& cfg = *sh.cfg;
  const auto start = Clock::now();
  const auto end = start + seconds(cfg.duration);
  std::vector<Task<>> active, idle;
  std::vector<uint64_t> next(cfg.connections, 0);
  for (uint32_t i = 0; i < cfg.connections; ++i) {
    if (!streams[i].is_open()) continue;
    const auto nth = static_cast<uint32_t>(active.size());
    if (nth >= cfg.active) idle.push_back(idle_watch(streams[i], sh, i));
    else if (cfg.rate > 0) active.push_back(open_loop(streams[i], sh, i, nth, cfg.active, start, end, next[i]));
    else active.push_back(closed_loop(streams[i], sh, i, -1));
  }
  if (cfg.rate <= 0) active.push_back(stopper(sh, cfg.duration));
  // The idle watchers end when the holding time is over (by cancellation): timed_out is expected.
  auto [a, h] = co_await when_all(run_all_within(std::move(active), guard),
                                  run_all_within(std::move(idle), seconds(cfg.duration)));
  (void)h;
  if (!a) {
    std::fprintf(stderr, "coring-load: active connections did not finish in time\n");
    ++sh.errors;
  }
}

Task<Report> run(Shared& sh, SocketAddress server, std::vector<SocketAddress> sources) {
  const Config& cfg = *sh.cfg;
  std::vector<Stream> streams(cfg.connections);
  const int64_t r0 = now_ns();
  co_await ramp(streams, server, sources, sh);
  Report rep;
  rep.established = static_cast<uint32_t>(
      std::count_if(streams.begin(), streams.end(), [](const Stream& s) { return s.is_open(); }));
  std::fprintf(stderr, "coring-load: established %u of %u connections in %.2f s\n", rep.established, cfg.connections,
               double(now_ns() - r0) / 1e9);
  std::fflush(stderr);

  const auto guard = seconds((cfg.messages >= 0 ? 0 : cfg.duration) + cfg.timeout);
  const int64_t t0 = now_ns();
  std::optional<Timeline> timeline;
  if (!cfg.timeline_path.empty()) sh.timeline = &timeline.emplace(t0, static_cast<int64_t>(cfg.timeline_ms * 1e6));
  spawn(stop_on_signal(sh));
  if (cfg.hold_idle) {
    co_await hold_idle(streams, sh, guard);
  } else {
    const auto start = Clock::now();
    const auto end = start + seconds(cfg.duration);
    std::vector<Task<>> tasks;
    std::vector<uint64_t> next(cfg.connections, 0);  // open loop: each connection's next message
    for (uint32_t i = 0; i < cfg.connections; ++i) {
      auto loop = [&, i]() -> Task<> {
        if (cfg.rate > 0) return open_loop(streams[i], sh, i, i, cfg.connections, start, end, next[i]);
        return closed_loop(streams[i], sh, i, cfg.messages);
      };
      if (cfg.reconnect) tasks.push_back(reconnecting(streams[i], sh, i, server, sources, end, loop));
      else if (streams[i].is_open()) tasks.push_back(loop());
    }
    if (cfg.rate <= 0 && cfg.messages < 0) tasks.push_back(stopper(sh, cfg.duration));
    auto r = co_await run_all_within(std::move(tasks), guard);
    if (!r) {
      std::fprintf(stderr, "coring-load: the run did not finish in time (%s)\n", r.error().message().c_str());
      ++sh.errors;
    }
  }
  rep.seconds = double(now_ns() - t0) / 1e9;
  for (auto& s : streams) s.close();
  sh.timeline = nullptr;
  if (timeline && !timeline->write(cfg.timeline_path))
    std::fprintf(stderr, "coring-load: cannot write %s\n", cfg.timeline_path.c_str());
  co_return rep;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-load: echo load generator (closed or open loop) with byte-exact verification"};
  app.set_version_flag("--version", std::string("coring-load ") + std::string(coring::version()));
  Config cfg;
  app.add_option("--host", cfg.host, "server address (numeric)");
  app.add_option("--port,-p", cfg.port, "server port");
  app.add_option("--connections,-c", cfg.connections, "concurrent connections")->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--size,-s", cfg.size, "bytes per message")->check(CLI::Range(1u, 64u << 20));
  app.add_option("--duration,-d", cfg.duration, "seconds to run (or to hold, with --hold-idle)")
      ->check(CLI::NonNegativeNumber);
  auto* msgs = app.add_option("--messages,-n", cfg.messages,
                              "messages per connection instead of --duration (0: connect only)")
                   ->check(CLI::NonNegativeNumber);
  app.add_option("--rate,-R", cfg.rate, "open loop: requests per second in total, latency from the intended send time")
      ->check(CLI::PositiveNumber)
      ->excludes(msgs);
  app.add_option("--backend", cfg.backend, "uring | epoll")->check(CLI::IsMember({"uring", "epoll", "auto"}));
  app.add_option("--sources", cfg.sources, "comma-separated local addresses to connect from, e.g. 127.0.0.1,127.0.0.2");
  app.add_flag("--hold-idle", cfg.hold_idle, "open the connections and keep them idle for --duration");
  app.add_option("--active", cfg.active, "with --hold-idle: connections that keep echoing meanwhile (at --rate if given)");
  app.add_option("--batch", cfg.batch, "connections opened at a time during the ramp")->check(CLI::Range(1u, 100'000u));
  app.add_flag("!--no-ramp-echo", cfg.ramp_echo, "do not prove each new connection with one echo during the ramp");
  app.add_option("--connect-timeout", cfg.connect_timeout, "seconds allowed for one connect");
  app.add_option("--timeout", cfg.timeout, "seconds allowed beyond --duration (or for all --messages)");
  app.add_option("--format", cfg.format, "json | csv: the one output line")->check(CLI::IsMember({"json", "csv"}));
  app.add_flag("--csv-header", cfg.csv_header, "with --format csv: print the column names first");
  app.add_option("--cdf", cfg.cdf_path, "write the latency distribution (microseconds, cumulative fraction) here");
  app.add_flag("--http", cfg.http, "HTTP/1.1 keep-alive GETs instead of echo: status 200 and the body length are checked");
  app.add_option("--pipeline", cfg.pipeline, "--http: requests sent back to back, then all responses read")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--path", cfg.path, "--http: request target");
  app.add_option("--expect-body", cfg.expect_body, "--http: required Content-Length of every response");
  app.add_option("--renew", cfg.renew,
                 "--http --rate: a connection is replaced after K requests (keep-alive and new connections mixed); "
                 "prints a second JSON line counting failed requests, resets, refused connects and retries")
      ->check(CLI::Range(1u, 1'000'000u));
  auto* reconnect = app.add_flag("--reconnect", cfg.reconnect,
                                 "open a connection again after the server closes it or it fails (with backoff)")
                        ->excludes(msgs);
  app.add_option("--backoff-min", cfg.backoff_min_ms, "--reconnect: ms, the cap of the first delay (doubled per failure)")
      ->check(CLI::PositiveNumber)->needs(reconnect)->capture_default_str();
  app.add_option("--backoff-max", cfg.backoff_max_ms, "--reconnect: ms, the largest delay")
      ->check(CLI::PositiveNumber)->needs(reconnect)->capture_default_str();
  app.add_flag("!--no-jitter", cfg.jitter, "--reconnect: wait exactly the cap, not a uniform draw from [0, cap]")
      ->needs(reconnect);
  app.add_option("--timeline", cfg.timeline_path,
                 "write per-bucket counts: t_ms,connects,connect_failures,closes,requests,failed_requests");
  app.add_option("--timeline-ms", cfg.timeline_ms, "--timeline: bucket width in ms")->check(CLI::PositiveNumber)
      ->capture_default_str();
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);
  if (cfg.renew > 0 && (!cfg.http || cfg.rate <= 0 || cfg.pipeline != 1 || cfg.hold_idle)) {
    std::fprintf(stderr, "coring-load: --renew needs --http and --rate (no --pipeline, no --hold-idle)\n");
    return 2;
  }
  if (cfg.renew > 0 && cfg.reconnect) {
    std::fprintf(stderr, "coring-load: --renew replaces connections itself: not with --reconnect\n");
    return 2;
  }
  if (cfg.reconnect && cfg.hold_idle) {
    std::fprintf(stderr, "coring-load: --reconnect works with the closed or open loop, not --hold-idle\n");
    return 2;
  }
  if (cfg.hold_idle && cfg.rate > 0 && cfg.active == 0) {
    std::fprintf(stderr, "coring-load: --rate with --hold-idle needs --active K (the connections that send)\n");
    return 2;
  }

  apps::raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);
  block_signals(SIGINT, SIGTERM);  // before the runtime's threads start; stop_on_signal() reads them

  auto server = SocketAddress::parse(cfg.host + ":" + std::to_string(cfg.port));
  if (!server) {
    std::fprintf(stderr, "coring-load: bad address %s\n", cfg.host.c_str());
    return 2;
  }
  std::vector<SocketAddress> sources;
  for (const auto& a : split(cfg.sources, ',')) {
    auto sa = SocketAddress::parse(a + ":0");
    if (!sa || sa->family() != server->family()) {
      std::fprintf(stderr, "coring-load: bad source address %s\n", a.c_str());
      return 2;
    }
    sources.push_back(*sa);
  }

  Shared sh;
  sh.cfg = &cfg;
  sh.pattern.resize(std::size_t{cfg.size} + kWindow);
  if (cfg.http) sh.http_batch = http_batch(cfg);
  uint64_t seed = 0x636f72696e67ull;  // fixed: runs are reproducible
  for (auto& b : sh.pattern) b = static_cast<std::byte>(splitmix64(seed));

  RuntimeOptions opts;
  opts.shards = 1;  // one loop drives every connection (pinned with taskset by the bench scripts)
  opts.backend = *parse_backend(cfg.backend);
  opts.drain_timeout = std::chrono::milliseconds(1000);
  Runtime rt(opts);
  std::fprintf(stderr, "coring-load: backend %.*s, %u connections to %s, %s, %s\n", int(rt.backend_name().size()),
               rt.backend_name().data(), cfg.connections, server->to_string().c_str(),
               cfg.http ? ("HTTP GET " + cfg.path + " x" + std::to_string(cfg.pipeline)).c_str()
                        : (std::to_string(cfg.size) + "-byte messages").c_str(),
               cfg.rate > 0 ? ("open loop at " + std::to_string(int64_t(cfg.rate)) + " req/s").c_str() : "closed loop");
  if (cfg.renew > 0) {  // renew.cpp
    const RenewCounts rc = rt.block_on(run_renew(sh, *server));
    print_report(sh, Report{cfg.connections, cfg.duration}, rt.backend_name());
    print_renew(rc);
    return rc.failed || rc.resets || rc.refused || sh.errors ? 1 : 0;
  }
  const Report rep = rt.block_on(run(sh, *server, sources));
  print_report(sh, rep, rt.backend_name());
  if (!cfg.cdf_path.empty() && !write_cdf(sh.hist, cfg.cdf_path))
    std::fprintf(stderr, "coring-load: cannot write %s\n", cfg.cdf_path.c_str());
  const bool failed = sh.errors || sh.connect_errors || sh.verify_failures || sh.failed_requests ||
                      rep.established < cfg.connections;
  return failed ? 1 : 0;
}
