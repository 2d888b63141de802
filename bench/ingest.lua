-- Ingest load for wrk: residents filing requests (POST /api/v1/tickets) as the phone page does.
--
--   wrk -s bench/ingest.lua http://127.0.0.1:PORT -- DATA_DIR TAG
--
-- DATA_DIR holds what bench/ingest.py prepared:
--   residents.tsv   session key, CSRF secret, home building code, home building name (one a line)
--   categories.tsv  leaf category code, weight, a typical description (one a line)
-- TAG starts every Idempotency-Key of this run, so the server side can count exactly the tickets
-- the run created. `done` prints one JSON line starting with "INGEST_RESULT " and writes the
-- numbers of the tickets answered 201 to DATA_DIR/created-TAG.txt.

local host
local residents, categories = {}, {}
local total_weight = 0
local sent = 0
-- Globals: set by `setup` (id) or read by `done` through thread:get.
id = 0
data_dir, tag = nil, nil
statuses = {}
numbers = {}
samples = {}

-- Varied text around the category's typical description: where, since when, what is asked.
local WHERE = {
  "", "我家楼下", "小区东门", "单元门口", "小区南侧路边", "楼后空地", "地下车库入口",
  "小区广场", "菜市场门口", "公交站旁边", "幼儿园门口", "学校后门",
}
local SINCE = {
  "", "今天早上发现，", "已经好几天了，", "这个星期反复出现，", "昨天晚上开始，",
  "反映过一次还没解决，", "最近一个月一直这样，",
}
local ASK = {
  "", "麻烦尽快处理。", "请有关部门看一下。", "希望能安排人来看看，谢谢！",
  "老人孩子进出不方便，请帮忙协调。", "邻居们都很着急。", "盼回复。",
}
local URGENCY = { "normal", "normal", "normal", "normal", "normal", "normal", "normal", "normal",
  "normal", "urgent" }
local TYPES = { "help", "help", "help", "help", "help", "help", "complaint", "complaint",
  "consult", "suggestion" }

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

local function pick(list)
  return list[math.random(#list)]
end

function init(args)
  data_dir, tag = args[1], args[2]
  host = wrk.host .. ":" .. wrk.port
  for line in io.lines(data_dir .. "/residents.tsv") do
    local f = split(line)
    table.insert(residents, { session = f[1], csrf = f[2], building = f[3], place = f[4] })
  end
  for line in io.lines(data_dir .. "/categories.tsv") do
    local f = split(line)
    local weight = tonumber(f[2])
    total_weight = total_weight + weight
    table.insert(categories, { code = f[1], upto = total_weight, text = f[3] })
  end
  if #residents == 0 or #categories == 0 then
    error("ingest.lua: nothing to send from " .. data_dir)
  end
  math.randomseed(os.time() * 1000 + id * 7919)
end

local function category()
  local r = math.random() * total_weight
  for _, c in ipairs(categories) do
    if r <= c.upto then
      return c
    end
  end
  return categories[#categories]
end

function request()
  sent = sent + 1
  -- Threads start at different residents and walk the whole list, so a resident's requests
  -- come from one connection at a time only by chance.
  local r = residents[(id * 7919 + sent) % #residents + 1]
  local c = category()
  local text = pick(SINCE) .. pick(WHERE) .. c.text .. pick(ASK)
  local place
  if math.random(5) == 1 then
    -- Now and then the resident types where it is instead of choosing the building.
    place = '"address":"' .. r.place .. pick({ "附近", "门口", "楼下", "旁边" }) .. '"'
  else
    place = '"building":"' .. r.building .. '"'
  end
  local body = '{"category":"' .. c.code .. '","description":"' .. text .. '",'
    .. place .. ',"urgency":"' .. pick(URGENCY) .. '","request_type":"' .. pick(TYPES) .. '"}'
  local headers = {
    ["Host"] = host,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Cookie"] = "sessionid=" .. r.session .. "; csrftoken=" .. r.csrf,
    ["X-CSRFToken"] = r.csrf,
    ["X-Forwarded-Proto"] = "https",
    ["Origin"] = "https://" .. host,
    ["Referer"] = "https://" .. host .. "/m/requests/new/",
    ["Idempotency-Key"] = tag .. "-" .. id .. "-" .. sent,
  }
  return wrk.format("POST", "/api/v1/tickets", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local number = body:match('"number":%s*"([^"]+)"')
    table.insert(numbers, number or "?")
  elseif #samples < 3 then
    table.insert(samples, status .. " " .. body:sub(1, 300))
  end
end

local function json_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n"):gsub("\r", ""):gsub("\t", " ")
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local status_counts, all_samples = {}, {}
  local out_dir, run_tag
  for _, thread in ipairs(threads) do
    out_dir = out_dir or thread:get("data_dir")
    run_tag = run_tag or thread:get("tag")
    for code, n in pairs(thread:get("statuses")) do
      status_counts[code] = (status_counts[code] or 0) + n
    end
    for _, s in ipairs(thread:get("samples")) do
      table.insert(all_samples, json_string(s))
    end
  end
  local created = io.open(out_dir .. "/created-" .. run_tag .. ".txt", "w")
  for _, thread in ipairs(threads) do
    for _, number in ipairs(thread:get("numbers")) do
      created:write(number, "\n")
    end
  end
  created:close()
  local parts = {}
  for code, n in pairs(status_counts) do
    table.insert(parts, string.format('"%d":%d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'INGEST_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f,"stdev":%.1f},'
      .. '"statuses":{%s},"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,'
      .. '"status":%d},"samples":[%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, latency.stdev,
    table.concat(parts, ","), e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(all_samples, ",")
  ))
end
