-- wrk script for benchmarks/api.py.
--
-- Arguments after `--` are request paths; each connection's requests rotate over them (so
-- retrieve polls every finished video in turn). Without arguments the URL's own path is used.
-- At the end one machine-readable line is printed, prefixed with REELBOX_WRK_JSON, with the
-- counts and the latency percentiles in microseconds.

local paths = {}
local counter = 0

function init(args)
  for i = 1, #args do
    paths[#paths + 1] = args[i]
  end
  if #paths == 0 then
    paths[1] = wrk.path
  end
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "REELBOX_WRK_JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
    "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f, " ..
    "\"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d, " ..
    "\"status_errors\": %d, \"timeouts\": %d}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
