-- POST /api/v1/sales from one terminal (BENCH_TOKEN), a new terminal_sale_id each, a dish
-- from BENCH_ITEMS. With BENCH_OUT, each thread appends "receipt_id activation_code" of
-- its sales to BENCH_OUT.<tid>, for the claim benchmark.
local items, n, out, kept = {}, 0, nil, 0
local token = os.getenv("BENCH_TOKEN")
function init(args)
  for item in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do items[#items + 1] = item end
  local path = os.getenv("BENCH_OUT")
  if path then out = io.open(path .. "." .. tid, "a") end
end

function request()
  n = n + 1
  local body = string.format(
    '{"terminal_sale_id":"%s-%d-%d","lines":[{"item_id":"%s","quantity":1}]}',
    nonce, tid, n, items[(n % #items) + 1])
  return wrk.format("POST", "/api/v1/sales", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

if os.getenv("BENCH_OUT") then
  function response(status, headers, body)
    if status ~= 201 then return end
    local receipt = string.match(body, '"receipt_id":"([^"]+)"')
    local code = string.match(body, '"activation_code":"([^"]+)"')
    if receipt and code then
      out:write(receipt, " ", code, "\n")
      kept = kept + 1
      -- wrk gives threads no exit hook: flush often, so at most a few lines are lost.
      if kept % 20 == 0 then out:flush() end
    end
  end
end
