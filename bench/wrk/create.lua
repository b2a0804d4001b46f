-- POST /api/comments with a distinct text on a distinct page every request, so the
-- duplicate rule (same text, same page, same IP within 10 minutes) never triggers.
-- $RUN_ID keeps pages distinct across runs on the same database.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local n = 0
local run = os.getenv("RUN_ID") or tostring(os.time())
local site = os.getenv("SITE") or "bench"

request = function()
  n = n + 1
  local page = string.format("/bench/write/%s/%d/%d/", run, tid, n)
  local body = string.format(
    '{"site":"%s","page":"%s","title":"Write benchmark","author":"Load %d",' ..
    '"text":"Write benchmark %s-%d-%d: a *new* comment with some **markdown** and ' ..
    'an [example link](https://example.com/%d). Thanks for the post!"}',
    site, page, tid, run, tid, n, n)
  return wrk.format("POST", "/api/comments", { ["Content-Type"] = "application/json" }, body)
end

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
