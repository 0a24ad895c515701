-- wrk script: POSTs pre-signed WhatsApp webhooks from BODIES_FILE (one "<signature> <body>" a line),
-- cycling through them; each thread starts at a different offset. Requests are formatted once at
-- init so the Lua side costs one table lookup per request and wrk is not the bottleneck.
local file = os.getenv("BODIES_FILE")
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local requests = {}
local n = 0
local i = 0

function init(args)
  for line in io.lines(file) do
    local sp = line:find(" ", 1, true)
    local sig, body = line:sub(1, sp - 1), line:sub(sp + 1)
    n = n + 1
    requests[n] = wrk.format("POST", "/webhooks/whatsapp", {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "facebookexternalua",
      ["X-Hub-Signature-256"] = sig,
    }, body)
  end
  -- threads start at evenly spread offsets so they do not send the same body at the same time
  local threads = tonumber(os.getenv("WRK_THREADS")) or 1
  i = math.floor((tonumber(tid) or 0) * n / threads)
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return requests[i]
end
