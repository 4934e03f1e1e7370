-- wrk.lua: GET / keep-alive, WRK_PIPELINE requests per write (default 1), and one machine-readable result line at the end.
local depth = tonumber(os.getenv("WRK_PIPELINE") or "1")
local batch

init = function(args)
  local one = wrk.format("GET", "/")
  batch = string.rep(one, depth)
end

request = function()
  return batch
end

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRK_RESULT requests=%d seconds=%.3f rps=%.1f p50=%.1f p90=%.1f p99=%.1f p999=%.1f max=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, secs, summary.requests / secs, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
