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

dofile("bench/result.lua")
