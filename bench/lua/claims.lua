-- POST /api/v1/receipts/{id}/claim: BENCH_DATA lines "receipt_id code token", each used
-- once (a second claim of a receipt is a 409, counted as a failure, not as throughput).
local rows, n = {}, 0
function init(args)
  for _, line in ipairs(my_lines()) do
    local receipt, code, token = string.match(line, "(%S+) (%S+) (%S+)")
    rows[#rows + 1] = {receipt, code, token}
  end
end

function request()
  n = n + 1
  local row = rows[((n - 1) % #rows) + 1]
  return wrk.format("POST", "/api/v1/receipts/" .. row[1] .. "/claim", {
    ["Authorization"] = "Bearer " .. row[3],
    ["Content-Type"] = "application/json",
  }, string.format('{"code":"%s"}', row[2]))
end
