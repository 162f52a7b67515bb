-- GET the URL's path; with BENCH_DATA, one bearer token per request, round robin.
local tokens, n = {}, 0
function init(args)
  tokens = my_lines()
end

function request()
  if #tokens == 0 then return wrk.format("GET") end
  n = n + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]})
end
