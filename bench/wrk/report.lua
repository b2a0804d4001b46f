-- Writes wrk's summary as key=value lines to $WRK_SUMMARY (run.sh collects them).
-- Latencies are in microseconds.
done = function(summary, latency, requests)
  local path = os.getenv("WRK_SUMMARY")
  if not path then return end
  local f = io.open(path, "w")
  local secs = summary.duration / 1e6
  local e = summary.errors
  f:write(string.format("requests=%d\nseconds=%.3f\nrps=%.1f\np50_us=%d\np99_us=%d\nmax_us=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max))
  f:write(string.format("errors_status=%d\nerrors_other=%d\n",
    e.status, e.connect + e.read + e.write + e.timeout))
  f:close()
end
