-- Shared by every bench script (prepended by bench/harness/wrk.py). Settings come from
-- the environment because wrk decides at start, on the main Lua state, whether a script
-- has a delay(): arguments reach only the threads' init().
--   BENCH_DELAY_MS   pause per connection between requests (a rate limit; 0: none)
--   BENCH_DATA       a file of lines (tokens, or "receipt code" pairs), split by thread
--   BENCH_THREADS    wrk's -t, so each thread takes every BENCH_THREADS-th line
--   BENCH_NONCE      unique per run and round: Idempotency-Keys and sale ids never repeat
local threads_seen = 0
function setup(thread)
  thread:set("tid", threads_seen)
  threads_seen = threads_seen + 1
end

nonce = os.getenv("BENCH_NONCE") or "n"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay() return delay_ms end
end

-- This thread's share of BENCH_DATA's lines (every BENCH_THREADS-th, from its own tid).
function my_lines()
  local path = os.getenv("BENCH_DATA")
  local every = tonumber(os.getenv("BENCH_THREADS") or "1")
  local mine, index = {}, 0
  if not path then return mine end
  for line in io.lines(path) do
    if index % every == tid then mine[#mine + 1] = line end
    index = index + 1
  end
  return mine
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,'
      .. '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
