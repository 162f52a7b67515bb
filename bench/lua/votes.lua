-- POST a vote on BENCH_PROPOSAL: BENCH_DATA holds one voter token a line, each used once
-- (a second vote is a 409, counted as a failure, not as throughput).
local tokens, n = {}, 0
local path = "/api/v1/governance/proposals/" .. os.getenv("BENCH_PROPOSAL") .. "/votes"
local choices = {"FOR", "AGAINST", "ABSTAIN"}
function init(args)
  tokens = my_lines()
end

function request()
  n = n + 1
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. tokens[((n - 1) % #tokens) + 1],
    ["Content-Type"] = "application/json",
  }, string.format('{"choice":"%s"}', choices[(n % 3) + 1]))
end
