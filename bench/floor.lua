-- The floor of a signed-in request for wrk: the same residents' sessions reading their API
-- tokens (GET /api/v1/auth/tokens: session, user and one small query; no write). What any
-- Django endpoint costs at least through the same gunicorn, beside the filing it is compared
-- with (bench/ingest.py).
--
--   wrk -s bench/floor.lua http://127.0.0.1:PORT -- DATA_DIR
--
-- `done` prints one JSON line starting with "FLOOR_RESULT ".

local host
local residents = {}
local sent = 0
id = 0
statuses = {}

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  host = wrk.host .. ":" .. wrk.port
  for line in io.lines(args[1] .. "/residents.tsv") do
    local session, csrf = line:match("^([^\t]*)\t([^\t]*)")
    table.insert(residents, { session = session, csrf = csrf })
  end
  if #residents == 0 then
    error("floor.lua: no residents in " .. args[1])
  end
end

function request()
  sent = sent + 1
  local r = residents[(id * 7919 + sent) % #residents + 1]
  return wrk.format("GET", "/api/v1/auth/tokens", {
    ["Host"] = host,
    ["Accept"] = "application/json",
    ["Cookie"] = "sessionid=" .. r.session .. "; csrftoken=" .. r.csrf,
    ["X-Forwarded-Proto"] = "https",
  })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      counts[code] = (counts[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%d":%d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'FLOOR_RESULT {"requests":%d,"duration_us":%d,'
      .. '"latency_us":{"p50":%d,"p99":%d},"statuses":{%s},"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ","), e.connect + e.read + e.write + e.timeout
  ))
end
