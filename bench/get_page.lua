-- wrk script: GET a page (the survey response page), keep-alive, nothing else sent.
-- Prints one line "BENCHJSON {...}" with the counts and latency percentiles (microseconds).
function init(args)
  wrk.method = "GET"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (bench)"
end

-- The BENCHJSON report (bench/wrk_report.lua), from beside this script.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "wrk_report.lua")
