-- POST /api/v1/orders: customers round robin (BENCH_DATA: one token a line), one line of a
-- dish from BENCH_ITEMS (comma-separated, rotating) at BENCH_NODE, an Idempotency-Key each.
local tokens, items, n = {}, {}, 0
local node = os.getenv("BENCH_NODE")
function init(args)
  tokens = my_lines()
  for item in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do items[#items + 1] = item end
end

function request()
  n = n + 1
  local body = string.format('{"node_id":"%s","lines":[{"item_id":"%s","quantity":1}]}',
    node, items[(n % #items) + 1])
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", nonce, tid, n),
  }, body)
end
