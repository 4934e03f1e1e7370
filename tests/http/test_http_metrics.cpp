// coring-http's /metrics: parses the Prometheus text format strictly and checks counters summed over two shards.
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "apps/http/metrics.hpp"
#include "apps/http/routes.hpp"
#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram
  std::vector<Sample> samples;
};

bool is_name(std::string_view s, bool colon_ok) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

/// The family a sample belongs to (a histogram's _bucket/_sum/_count go to their base name).
std::string family_of(const Exposition& e, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string_view sfx(suffix);
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      std::string base = name.substr(0, name.size() - sfx.size());
      auto it = e.types.find(base);
      if (it != e.types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

/// Parses the text format (version 0.0.4); fails the test on any malformed line.
Exposition parse(const std::string& text) {
  Exposition e;
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());
    if (line.rfind("# ", 0) == 0) {
      std::istringstream w(line.substr(2));
      std::string kind, name, rest;
      w >> kind >> name;
      REQUIRE((kind == "HELP" || kind == "TYPE"));
      REQUIRE(is_name(name, true));
      if (kind == "TYPE") {
        w >> rest;
        REQUIRE((rest == "counter" || rest == "gauge" || rest == "histogram"));
        REQUIRE(e.types.count(name) == 0);  // one TYPE per family
        e.types[name] = rest;
      }
      continue;
    }
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    REQUIRE(is_name(s.name, true));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line.at(i) != '}') {
        const std::size_t eq = line.find('=', i);
        REQUIRE(eq != std::string::npos);
        const std::string key = line.substr(i, eq - i);
        REQUIRE(is_name(key, false));
        REQUIRE(line.at(eq + 1) == '"');
        const std::size_t close = line.find('"', eq + 2);
        REQUIRE(close != std::string::npos);
        REQUIRE(s.labels.count(key) == 0);
        s.labels[key] = line.substr(eq + 2, close - eq - 2);
        i = close + 1;
        if (line.at(i) == ',') ++i;
      }
      ++i;
    }
    REQUIRE(line.at(i) == ' ');
    const std::string v = line.substr(i + 1);
    char* end = nullptr;
    s.value = std::strtod(v.c_str(), &end);
    REQUIRE((end && *end == '\0' && !v.empty()));
    REQUIRE(e.types.count(family_of(e, s.name)) == 1);  // its TYPE came first
    e.samples.push_back(std::move(s));
  }
  return e;
}

/// The sum of `name` samples whose labels include all of `match`.
double sum(const Exposition& e, const std::string& name, const std::map<std::string, std::string>& match = {}) {
  double total = 0;
  for (const Sample& s : e.samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) ok = ok && s.labels.count(k) && s.labels.at(k) == v;
    if (ok) total += s.value;
  }
  return total;
}

/// Histograms: buckets cumulative per shard, +Inf equal to _count.
void check_histogram(const Exposition& e, const std::string& name) {
  std::map<std::string, std::vector<const Sample*>> by_shard;
  for (const Sample& s : e.samples)
    if (s.name == name + "_bucket") by_shard[s.labels.count("shard") ? s.labels.at("shard") : ""].push_back(&s);
  REQUIRE(!by_shard.empty());
  for (const auto& [shard, buckets] : by_shard) {
    double prev = 0;
    for (const Sample* b : buckets) {
      REQUIRE(b->labels.count("le") == 1);
      CHECK(b->value >= prev);
      prev = b->value;
    }
    CHECK(buckets.back()->labels.at("le") == "+Inf");
    const std::map<std::string, std::string> m = shard.empty() ? std::map<std::string, std::string>{}
                                                               : std::map<std::string, std::string>{{"shard", shard}};
    CHECK(prev == sum(e, name + "_count", m));
  }
}

RuntimeOptions two_shards() {
  RuntimeOptions o;
  o.shards = 2;
  return o;
}

}  // namespace

TEST_CASE("metrics: one server's exposition parses") {
  ServerStats st;
  st.record(200, 30'000);
  st.record(404, 2'000'000'000);
  st.connections_accepted = 3;
  std::string text;
  st.render_prometheus(text);
  Exposition e = parse(text);
  CHECK(sum(e, "coring_http_requests_total", {{"code", "200"}}) == 1);
  CHECK(sum(e, "coring_http_requests_total", {{"code", "404"}}) == 1);
  CHECK(sum(e, "coring_http_connections_accepted_total") == 3);
  check_histogram(e, "coring_http_request_duration_seconds");
}

TEST_CASE_TEMPLATE("metrics: /metrics shows every shard's counters and runtime statistics", B, CORING_BACKENDS) {
  coring::test::run_on<B>([]() -> Task<> {
    auto metrics = std::make_shared<apps::ShardMetrics>(shard_count());
    const Router routes = apps::make_routes(nullptr, metrics);
    std::vector<std::optional<Server>> servers(shard_count());
    uint16_t port = 0;
    // Shard 0 picks the port, then every other shard binds the same one (SO_REUSEPORT).
    auto start_here = [&routes, &servers, &metrics, &port](unsigned shard) -> bool {
      auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, port), {.reuse_port = true});
      if (!l) return false;
      if (shard == 0) port = l->local_address().port();
      Server& s = servers[shard].emplace(routes, ServerOptions{});
      metrics->attach(shard, &s.stats());
      spawn(s.serve(std::move(*l)));
      return true;
    };
    REQUIRE(start_here(0));  // this task runs on shard 0
    auto others = [&start_here](unsigned shard) { return shard == 0 ? true : start_here(shard); };
    auto started = co_await on_all_shards(others);
    for (bool ok : started) REQUIRE(ok);

    constexpr int kConnections = 40;  // a connection each: the kernel spreads them over both shards
    const SocketAddress addr = SocketAddress::ipv4(0x7f000001, port);
    for (int i = 0; i < kConnections; ++i) {
      Client c = co_await Client::connect(addr);
      auto r = co_await c.roundtrip(get(i % 4 == 0 ? "/nope" : "/"));
      REQUIRE(r);
    }
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/metrics"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
    Exposition e = parse(r->body);
    CHECK(sum(e, "coring_http_requests_total", {{"code", "200"}}) == 30);
    CHECK(sum(e, "coring_http_requests_total", {{"code", "404"}}) == 10);
    CHECK(sum(e, "coring_http_connections_accepted_total") == kConnections + 1);
    std::set<std::string> shards_seen;
    for (const Sample& s : e.samples)
      if (s.name == "coring_runtime_loop_turns_total") shards_seen.insert(s.labels.at("shard"));
    CHECK(shards_seen == std::set<std::string>{"0", "1"});
    CHECK(sum(e, "coring_runtime_connections_accepted_total") >= kConnections + 1);
    // The fixed-buffer and zero-copy counters are there for every shard (nothing used them here).
    for (const char* name : {"coring_runtime_fixed_buffers_in_use", "coring_runtime_fixed_buffer_exhausted_total",
                             "coring_runtime_zc_sends_total", "coring_runtime_zc_copied_total", "coring_runtime_zc_pending"}) {
      int n = 0;
      for (const Sample& s : e.samples) n += s.name == name;
      CHECK_MESSAGE(n == 2, name);
      CHECK(sum(e, name) == 0);
    }
    CHECK(sum(e, "coring_http_connections_accepted_total", {{"shard", "0"}}) +
              sum(e, "coring_http_connections_accepted_total", {{"shard", "1"}}) ==
          kConnections + 1);
    check_histogram(e, "coring_http_request_duration_seconds");
    // The backend and its optional features: each in use (1) or off with its reason.
    CHECK(sum(e, "coring_runtime_backend_info", {{"backend", B::name}}) == 1);
    std::map<std::string, Sample> features;
    for (const Sample& s : e.samples)
      if (s.name == "coring_runtime_feature") features[s.labels.at("feature")] = s;
    const std::vector<BackendFeature> want = runtime().features();
    CHECK(features.size() == want.size());
    for (const BackendFeature& f : want) {
      INFO(f.name);
      REQUIRE(features.count(f.name) == 1);
      CHECK(features[f.name].value == (f.on ? 1 : 0));
      CHECK(features[f.name].labels.at("reason") == f.why_off);
    }
    if constexpr (B::backend == Backend::uring) {
      CHECK(features.count("recv_bundle") == 1);
      CHECK(features.count("incremental_buffers") == 1);
      CHECK(features["recv_bundle"].labels.at("reason") != "");
    }
  }, two_shards());
}
