-- POST bodies read from $WRK_BODIES (one JSON document per line), cycled in order.
-- "@ID@" in a body becomes an id unique to the run, thread and request (a fresh event_id each
-- time, so the idempotency check never short-circuits the work), and "@TS@" a timestamp that
-- moves forward with every request (threads interleaved), so events never arrive late for their family.
-- With WRK_NEWLINES set, "@NL@" becomes a line break (an NDJSON batch kept on one line of the file);
-- WRK_CONTENT_TYPE replaces application/json.
-- done() prints one machine-readable line that bench_http.py parses.

local bodies = {}
local counter = 0
local prefix = ""
local base_time = 0
local newlines = false
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  -- Stagger the threads' start: their connections then arrive while the first uvicorn worker is
  -- busy, so the others accept some; all at once, one worker tends to accept every connection.
  if tid > 1 then
    os.execute("sleep " .. tostring(0.3 * (tid - 1)))
  end
  for line in io.lines(os.getenv("WRK_BODIES")) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  prefix = (os.getenv("WRK_RUN") or "run") .. "-" .. tostring(tid) .. "-"
  base_time = tonumber(os.getenv("WRK_BASE_TIME") or "1775000000")
  newlines = (os.getenv("WRK_NEWLINES") or "") ~= ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
  local token = os.getenv("WRK_TOKEN")
  if token and #token > 0 then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  body = (string.gsub(body, "@ID@", prefix .. counter))
  body = (string.gsub(body, "@TS@", os.date("!%Y-%m-%dT%H:%M:%S+00:00", base_time + counter * 8 + tid)))
  if newlines then
    body = (string.gsub(body, "@NL@", "\n"))
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
