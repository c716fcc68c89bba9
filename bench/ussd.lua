-- wrk script: 500 USSD sessions walking the whole report menu as Africa's Talking would
-- (text growing one answer per step), each session's steps 250 requests apart so a step
-- never overtakes the one before; a session that sent its report starts again under a
-- new id. A caller reads each screen before answering: about THINK_MS (default 1000)
-- between a connection's requests. Prints one RESULT line.
local path = { "", "1", "1*1", "1*1*1", "1*1*1*Bondo", "1*1*1*Bondo*3", "1*1*1*Bondo*3*x",
  "1*1*1*Bondo*3*x*0", "1*1*1*Bondo*3*x*0*1", "1*1*1*Bondo*3*x*0*1*1" }
local sessions = 250 -- per thread; two threads
local think = tonumber(os.getenv("THINK_MS") or "1000")
local counter = 0
local thread_no = 0
math.randomseed(os.time())
local run = math.random(1, 1000000000)

function setup(thread)
  thread:set("tid", run .. "-" .. thread_no)
  thread:set("tno", thread_no)
  thread_no = thread_no + 1
end

function request()
  local n = counter
  counter = counter + 1
  local session = n % sessions
  local step = math.floor(n / sessions) % #path
  local lap = math.floor(n / (sessions * #path))
  local body = string.format(
    "sessionId=%s-%d-%d&serviceCode=%%2A123%%23&phoneNumber=%%2B2236%07d&networkCode=61001&text=%s",
    tid, session, lap, tno * 100000 + session, path[step + 1]:gsub("%*", "%%2A"))
  return wrk.format("POST", "/webhooks/sim/ussd",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

-- Callers do not answer in step: a think time spread around THINK_MS, or 250 connections
-- would fire together every second and measure the burst, not the steps.
function delay()
  return math.floor(think * (0.5 + math.random()))
end

dofile("bench/result.lua")
