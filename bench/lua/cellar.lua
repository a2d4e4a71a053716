-- wrk script for bench/harness.py (bench/unit.py, bench/ctl.py, bench/dav.py): Personium API requests.
--
-- Env:
--   WRK_TOKEN    bearer token (Authorization header; none when empty); Accept: application/json always
--   WRK_AUTHORIZATION  a whole Authorization header value, sent instead of the bearer token (Basic)
--   WRK_MODE     "fixed"    : <WRK_METHOD> (default GET) of the URL given to wrk, again and again
--                "create"   : POST <WRK_POST_PATH> {"Name":"<prefix><n>"}, n unique per request
--                             (n = counter * WRK_THREADS + tid), while n < WRK_COUNT; afterwards
--                             the thread sends GET / and stops once its POSTs are answered
--                "put"      : PUT <WRK_BODY> (Content-Type <WRK_CONTENT_TYPE>) to
--                             <WRK_POST_PATH><n % WRK_SPREAD>/<prefix><n>.txt, n as in create
--                             (unique files spread over WRK_SPREAD collections), then as create
--                "retrieve" : GET <WRK_GET_HEAD><prefix><n><WRK_GET_TAIL> with n random in
--                             [0, WRK_COUNT)
--                "post"     : POST <WRK_BODY> (Content-Type <WRK_CONTENT_TYPE>) to the URL given
--                             to wrk, again and again
--   WRK_PREFIX   name prefix (default "c-")
--   WRK_POST_PATH  create: collection to POST to (default "/__ctl/Cell")
--   WRK_GET_HEAD, WRK_GET_TAIL  retrieve: path around the name (default "/__ctl/Cell('" and "')")
--   WRK_COUNT    name range for create / retrieve
--   WRK_THREADS  number of wrk threads (-t), for unique names across threads (default 1)
--   WRK_MAX      max responses per wrk thread (the thread stops when reached)
--   WRK_BODY, WRK_CONTENT_TYPE  post, put: request body and its type (default application/json)
--   WRK_DEPTH    a Depth header on every request when not empty (PROPFIND)
--   WRK_SPREAD   put: number of collections (default 1)
--
-- done() prints machine-readable lines that bench/harness.py parses:
--   CELLAR-LATENCY-US p50=<us> p90=<us> p99=<us> max=<us> mean=<us>
--   CELLAR-SUMMARY requests=<n> duration_us=<n> connect=<n> read=<n> write=<n> timeout=<n> status=<n>
--   CELLAR-STATUS <code> <count>        (one line per HTTP status seen)
--   CELLAR-POSTS <n>                    (create, put modes: POSTs / PUTs sent)
local mode = os.getenv("WRK_MODE") or "fixed"
local token = os.getenv("WRK_TOKEN") or ""
local prefix = os.getenv("WRK_PREFIX") or "c-"
local name_count = tonumber(os.getenv("WRK_COUNT") or "0")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
local max_responses = tonumber(os.getenv("WRK_MAX") or "1000000")
local post_path = os.getenv("WRK_POST_PATH") or "/__ctl/Cell"
local get_head = os.getenv("WRK_GET_HEAD") or "/__ctl/Cell('"
local get_tail = os.getenv("WRK_GET_TAIL") or "')"
local body = os.getenv("WRK_BODY") or ""
local content_type = os.getenv("WRK_CONTENT_TYPE") or "application/json"
local depth = os.getenv("WRK_DEPTH") or ""
local spread = tonumber(os.getenv("WRK_SPREAD") or "1")
wrk.method = os.getenv("WRK_METHOD") or "GET"

local authorization = os.getenv("WRK_AUTHORIZATION") or ""
if authorization ~= "" then
  wrk.headers["Authorization"] = authorization
elseif token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/json"
if depth ~= "" then
  wrk.headers["Depth"] = depth
end

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  if tid == nil then tid = 0 end
  counter = 0
  posts = 0
  responses = 0
  exhausted = false
  statuses = {}
  math.randomseed(os.time() + tid * 7919)
end

-- wrk.format() uses the headers it is given instead of wrk.headers: copy them.
local post_headers = { ["Content-Type"] = "application/json" }
for k, v in pairs(wrk.headers) do post_headers[k] = v end
local body_headers = { ["Content-Type"] = content_type }
for k, v in pairs(wrk.headers) do body_headers[k] = v end

-- the next unique n of this thread (create, put), or nil once WRK_COUNT is reached
local function next_n()
  local n = counter * nthreads + tid
  if n >= name_count then
    exhausted = true
    return nil
  end
  counter = counter + 1
  posts = posts + 1
  return n
end

function request()
  if mode == "create" or mode == "put" then
    local n = next_n()
    if n == nil then
      return wrk.format("GET", "/")
    elseif mode == "put" then
      return wrk.format("PUT", post_path .. (n % spread) .. "/" .. prefix .. n .. ".txt", body_headers, body)
    end
    return wrk.format("POST", post_path, post_headers, '{"Name":"' .. prefix .. n .. '"}')
  elseif mode == "retrieve" then
    local n = math.random(0, name_count - 1)
    return wrk.format("GET", get_head .. prefix .. n .. get_tail)
  elseif mode == "post" then
    return wrk.format("POST", nil, body_headers, body)
  end
  return wrk.format()
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if responses >= max_responses or (exhausted and responses >= posts) then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format("CELLAR-LATENCY-US p50=%d p90=%d p99=%d max=%d mean=%.1f\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  local e = summary.errors
  io.write(string.format("CELLAR-SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status))
  local agg, sent = {}, 0
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for code, n in pairs(s) do agg[code] = (agg[code] or 0) + n end
    end
    sent = sent + (t:get("posts") or 0)
  end
  for code, n in pairs(agg) do io.write(string.format("CELLAR-STATUS %d %d\n", code, n)) end
  io.write(string.format("CELLAR-POSTS %d\n", sent))
end
