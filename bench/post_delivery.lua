-- wrk script: POST a BigCommerce-shaped shipment delivery, a unique `hash` per request.
-- Argument: the hash prefix. Environment: BENCH_SECRET_HEADER and BENCH_SECRET (sent as a header).
-- Prints one line "BENCHJSON {...}" with the counts and latency percentiles (microseconds).
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix = args[1] or "bench"
  -- Shipment ids unique across runs too (a delivery is one per shipment): from the prefix.
  run_id = 0
  for i = 1, #prefix do
    run_id = (run_id * 131 + prefix:byte(i)) % 1000000
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Bigcommerce-Webhooks-bench"
  local name = os.getenv("BENCH_SECRET_HEADER")
  if name then
    wrk.headers[name] = os.getenv("BENCH_SECRET")
  end
end

function request()
  counter = counter + 1
  -- A registered customer's order (the stand-in makes ids that are multiples of 10 guests').
  local order = 1 + (tid * 104729 + counter) % 899990
  if order % 10 == 0 then
    order = order + 1
  end
  local body = string.format(
    '{"scope":"store/shipment/created","store_id":"1025646","data":{"type":"shipment",' ..
    '"id":%.0f,"orderId":%d},"hash":"%s-%d-%d","created_at":1561482857,' ..
    '"producer":"stores/standin"}',
    (run_id * 100 + tid) * 10000000 + counter, order, prefix, tid, counter)
  return wrk.format(nil, nil, nil, body)
end

-- The BENCHJSON report (bench/wrk_report.lua), from beside this script.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "wrk_report.lua")
