-- wrk script: POST distinct sim SMS (ids unique across runs, 10,000 senders) and print one
-- RESULT line.
local counter = 0
local thread_no = 0
math.randomseed(os.time())
local run = math.random(1, 1000000000)

function setup(thread)
  thread:set("tid", run .. "." .. thread_no)
  thread_no = thread_no + 1
end

function request()
  counter = counter + 1
  local body = string.format(
    "id=t%s-%d&from=%%2B2237%07d&text=ATT+Koro+3+morts+2+blesses+ce+matin",
    tid, counter, counter % 10000)
  return wrk.format("POST", "/webhooks/sim/sms",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end
