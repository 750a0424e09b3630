-- wrk script for P1/P2: `wrk ... -s load.lua URL -- METHOD [BODY_FILE [CONTENT_TYPE]]`.
-- The same script drives the endpoint under test and its baseline, so both pay the
-- same Lua cost, and done() prints 2xx/other counts as one JSON line for the runner.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1] or "GET"
  if args[2] then
    local f = assert(io.open(args[2], "rb"))
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = args[3] or "application/json"
  end
  ok, other = 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format(
    'WRKJSON {"ok": %d, "other": %d, "socket_errors": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d}\n',
    total_ok, total_other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
