-- GET /api/comments on one long thread, every request a list the server has not answered
-- yet: `after` is a cursor into the middle of the thread, made up (the server takes any
-- well-formed cursor) for a different point each time, in turn for oldest, newest and top.
-- So every request misses the thread cache and reads the database.
--
-- Environment: PAGE_Q (the page, query-encoded), T0 (the first comment's time), SPAN (the
-- thread's comments; they are SPACING seconds apart), LIMIT (default 50), SORTS (the sorts
-- to take in turn, default "oldest,newest,top").
local page = os.getenv("PAGE_Q")
local t0 = tonumber(os.getenv("T0"))
local span = tonumber(os.getenv("SPAN"))
local spacing = tonumber(os.getenv("SPACING") or "10")
local limit = os.getenv("LIMIT") or "50"
local sorts = {}
for name in string.gmatch(os.getenv("SORTS") or "oldest,newest,top", "[a-z]+") do
  sorts[#sorts + 1] = name
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function b64(s) -- URL-safe, no padding
  local out, bits, n = {}, 0, 0
  for i = 1, #s do
    bits = bits * 256 + s:byte(i)
    n = n + 8
    while n >= 6 do
      n = n - 6
      local v = math.floor(bits / 2 ^ n) % 64
      out[#out + 1] = alphabet:sub(v + 1, v + 1)
    end
    bits = bits % 2 ^ n
  end
  if n > 0 then
    local v = (bits * 2 ^ (6 - n)) % 64
    out[#out + 1] = alphabet:sub(v + 1, v + 1)
  end
  return table.concat(out)
end

local counter = 0
function setup(thread)
  thread:set("first", counter)
  counter = counter + 1
end

local k = 0
request = function()
  k = k + 1
  -- Spread over the first nine tenths of the thread, a different id every time.
  local i = (k * 7919 + (first or 0) * 104729) % math.floor(span * 0.9)
  local t = t0 + i * spacing
  local id = k * 16 + (first or 0)
  local sort, cursor = sorts[k % #sorts + 1]
  if sort == "oldest" then
    cursor = string.format("o.%d.%d.0", t, id)
  elseif sort == "newest" then
    cursor = string.format("n.%d.%d.0", -t, -id)
  else
    cursor = string.format("t.%d.%d.%d", -(i % 5), t, id)
  end
  return wrk.format("GET", "/api/comments?site=bench&page=" .. page .. "&sort=" .. sort ..
    "&limit=" .. limit .. "&after=" .. b64(cursor))
end

-- The summary: the same `done` as report.lua, loaded from beside this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
