// coring-load's output: one JSON or CSV line per run, and the latency distribution for CDF plots.
#include <algorithm>
#include <cstdio>

#include "load.hpp"

namespace coring::load {

namespace {

double us(uint64_t ns) { return double(ns) / 1000.0; }

const char* mode_name(const Config& cfg) {
  if (cfg.hold_idle) return "hold-idle";
  return cfg.rate > 0 ? "open" : "closed";
}

const char* protocol(const Config& cfg) { return cfg.http ? "http" : "echo"; }

}  // namespace

void print_report(const Shared& sh, const Report& rep, std::string_view backend) {
  const Config& cfg = *sh.cfg;
  const apps::LatencyHistogram& h = sh.hist;
  const double rate = rep.seconds > 0 ? double(sh.messages) / rep.seconds : 0.0;
  const auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (cfg.format == "csv") {
    if (cfg.csv_header)
      std::printf(
          "mode,protocol,pipeline,backend,connections,connections_requested,size,target_rate,duration,messages,ramp_messages,bytes,"
          "errors,connect_errors,verify_failures,unsent,msgs_per_sec,p50_us,p90_us,p99_us,p999_us,max_us,mean_us,"
          "failed_requests,reconnects,reconnect_failures\n");
    std::printf("%s,%s,%u,%.*s,%u,%u,%u,%.0f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,"
                "%llu,%llu,%llu\n",
                mode_name(cfg), protocol(cfg), cfg.pipeline, int(backend.size()), backend.data(), rep.established, cfg.connections, cfg.size,
                cfg.rate, rep.seconds, ull(sh.messages), ull(sh.ramp_messages), ull(sh.bytes), ull(sh.errors),
                ull(sh.connect_errors), ull(sh.verify_failures), ull(sh.unsent), rate, us(h.percentile(0.50)),
                us(h.percentile(0.90)), us(h.percentile(0.99)), us(h.percentile(0.999)), us(h.max()),
                h.mean() / 1000.0, ull(sh.failed_requests), ull(sh.reconnects), ull(sh.reconnect_failures));
  } else {
    std::printf(
        "{\"mode\":\"%s\",\"protocol\":\"%s\",\"pipeline\":%u,\"backend\":\"%.*s\",\"connections\":%u,\"connections_requested\":%u,\"size\":%u,"
        "\"target_rate\":%.0f,\"duration\":%.3f,\"messages\":%llu,\"ramp_messages\":%llu,\"bytes\":%llu,"
        "\"errors\":%llu,\"connect_errors\":%llu,\"verify_failures\":%llu,\"unsent\":%llu,\"failed_requests\":%llu,"
        "\"reconnects\":%llu,\"reconnect_failures\":%llu,\"msgs_per_sec\":%.1f,"
        "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f}}\n",
        mode_name(cfg), protocol(cfg), cfg.pipeline, int(backend.size()), backend.data(), rep.established, cfg.connections, cfg.size, cfg.rate,
        rep.seconds, ull(sh.messages), ull(sh.ramp_messages), ull(sh.bytes), ull(sh.errors), ull(sh.connect_errors),
        ull(sh.verify_failures), ull(sh.unsent), ull(sh.failed_requests), ull(sh.reconnects), ull(sh.reconnect_failures), rate, us(h.percentile(0.50)), us(h.percentile(0.90)), us(h.percentile(0.99)),
        us(h.percentile(0.999)), us(h.max()), h.mean() / 1000.0);
  }
  std::fflush(stdout);
}

/// One "latency_us fraction" row per non-empty bucket: the fraction of values <= the bucket's top.
bool write_cdf(const apps::LatencyHistogram& h, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "# latency_us fraction_at_or_below (%llu values)\n", static_cast<unsigned long long>(h.count()));
  uint64_t seen = 0;
  h.for_each_bucket([&](uint64_t top, uint64_t n) {
    seen += n;
    std::fprintf(f, "%.3f %.6f\n", us(std::min(top, h.max())), double(seen) / double(h.count()));
  });
  return std::fclose(f) == 0;
}

}  // namespace coring::load
