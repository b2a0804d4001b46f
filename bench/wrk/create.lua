-- POST /api/comments with a distinct text every request, so the duplicate rule (same text,
-- same page, same IP within 10 minutes) never triggers. With $PAGES=N the comments go to
-- the archive's existing pages /posts/000000/ … (as on a blog: new comments on existing
-- posts), spread over them; without it every comment opens a new page.
-- $RUN_ID keeps texts (and new pages) distinct across runs on the same database.
-- Readers differ: each request carries an X-Forwarded-For (the bench server trusts
-- 127.0.0.1 as its proxy) from one of 62,500 networks (/24) per wrk thread, taken in turn, as
-- a blog's comments come from many readers, each posting now and then. (The default rate
-- limit lets one network post 5 comments a minute; the limits are off here, so no reader
-- is ever refused.)
-- $SESSION, when set, is a signed-in commenter's session token sent with every create
-- (bench/signin.sh): the comments are that identity's.
-- $TID_BASE (default 0) shifts the thread numbers, so that several wrk processes posting
-- at once (run.sh --postgres, one per node) use distinct networks.
local threads = {}
local tid_base = tonumber(os.getenv("TID_BASE") or "0")

setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads + tid_base)
end

local n = 0
local run = os.getenv("RUN_ID") or tostring(os.time())
local site = os.getenv("SITE") or "bench"
local pages = tonumber(os.getenv("PAGES") or "")
local session = os.getenv("SESSION")
if session == "" then session = nil end

request = function()
  n = n + 1
  local page
  if pages then
    page = string.format("/posts/%06d/", (tid * 7919 + n * 104729) % pages)
  else
    page = string.format("/bench/write/%s/%d/%d/", run, tid, n)
  end
  local body = string.format(
    '{"site":"%s","page":"%s","title":"Write benchmark","author":"Load %d",' ..
    '"text":"Write benchmark %s-%d-%d: a *new* comment with some **markdown** and ' ..
    'an [example link](https://example.com/%d). Thanks for the post!"}',
    site, page, tid, run, tid, n, n)
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("%d.%d.%d.7", 10 + tid, n % 250, math.floor(n / 250) % 250),
  }
  if session then
    headers["Authorization"] = "Bearer " .. session
  end
  return wrk.format("POST", "/api/comments", headers, body)
end

-- The summary for run.sh: the same `done` as report.lua, loaded from beside this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
