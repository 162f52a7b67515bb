-- POST /api/v1/receipts/{id}/claim: BENCH_DATA lines "receipt_id code token", each used
-- once. A retried claim answers 200 (the first answer again) and costs far less than a
-- claim, so once a thread's receipts are used up it sends only requests that fail (a
-- claim of no receipt: 404, counted as a failure) and stops when all its answers are in.
local rows, n, answered = {}, 0, 0
function init(args)
  for _, line in ipairs(my_lines()) do
    local receipt, code, token = string.match(line, "(%S+) (%S+) (%S+)")
    rows[#rows + 1] = {receipt, code, token}
  end
end

function request()
  n = n + 1
  local row = rows[n]
  if row == nil then
    return wrk.format("POST", "/api/v1/receipts/used-up/claim", {
      ["Content-Type"] = "application/json",
    }, '{"code":"none"}')
  end
  return wrk.format("POST", "/api/v1/receipts/" .. row[1] .. "/claim", {
    ["Authorization"] = "Bearer " .. row[3],
    ["Content-Type"] = "application/json",
  }, string.format('{"code":"%s"}', row[2]))
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #rows then wrk.thread:stop() end
end
