-- wrk script: POST one token request per call. Set by environment (bench/run.mjs does it):
--   BENCH_BODY            the form body (application/x-www-form-urlencoded)
--   BENCH_AUTHORIZATION   an Authorization header (client_secret_basic), or empty
--   BENCH_UNKNOWN_PREFIX  when set, each request asks for scope=customer.<random uuid>: the body is
--                         BENCH_BODY followed by this prefix and a fresh random UUID
--   BENCH_POOL_FILE       when set, a file of one item a line, each used once (private_key_jwt and
--   BENCH_POOL_KIND       DPoP carry a signed JWT with a unique jti, which the load generator cannot
--                         make): kind `body`, the item is the whole body; kind `dpop`, the item is the
--                         DPoP header of a request with BENCH_BODY. run.mjs makes the pool large
--                         enough for the run; were it used up it would start over, and the replays
--                         would be refused (counted as non-2xx).
--   BENCH_RAMP_MS         after each of the first BENCH_CONNECTIONS answers, that connection waits a
--   BENCH_CONNECTIONS     random 0..BENCH_RAMP_MS ms before its next request (wrk asks delay() after
--                         an answer; the wait is not counted as latency). Without it every connection
--                         fires at once and stays in lockstep, and at 256 connections some answers
--                         come a second late even from a bare node:http server: that would be the
--                         p99 of any server, not its own
-- done() prints one line "BENCHJSON {...}" that run.mjs reads (latencies in microseconds).

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
if authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

local unknownPrefix = os.getenv("BENCH_UNKNOWN_PREFIX") or ""

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

local poolFile = os.getenv("BENCH_POOL_FILE") or ""
local poolKind = os.getenv("BENCH_POOL_KIND") or ""
local pool = {}
local poolSize = 0
local poolNext = 1

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
  if poolFile ~= "" then
    for line in io.lines(poolFile) do
      if line ~= "" then
        poolSize = poolSize + 1
        pool[poolSize] = line
      end
    end
  end
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

if poolFile ~= "" then
  function request()
    local item = pool[poolNext]
    poolNext = poolNext + 1
    if poolNext > poolSize then poolNext = 1 end
    if poolKind == "dpop" then
      wrk.headers["DPoP"] = item
      return wrk.format(nil, nil, nil, nil)
    end
    return wrk.format(nil, nil, nil, item)
  end
elseif unknownPrefix ~= "" then
  function request()
    return wrk.format(nil, nil, nil, wrk.body .. unknownPrefix .. uuid4())
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

-- The ramp: the first answers are followed by a random pause, then none.
local rampLeft = 0
local rampMs = tonumber(os.getenv("BENCH_RAMP_MS") or "0")
if rampMs > 0 then
  rampLeft = tonumber(os.getenv("BENCH_CONNECTIONS") or "0")
  function delay()
    if rampLeft > 0 then
      rampLeft = rampLeft - 1
      return math.random(0, rampMs)
    end
    return 0
  end
end
