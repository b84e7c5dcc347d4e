-- The Anchor-shaped 1Password create: POST /v1/integrations with the
-- anchor-api-key header and a valid ops_ service account token (built by
-- loadtest.sh, passed in LOADTEST_OPS_TOKEN). Every request gets a unique
-- name from the thread number and a counter.
dofile(os.getenv("LOADTEST_DIR") .. "/report.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
local token = os.getenv("LOADTEST_OPS_TOKEN")
local key = os.getenv("LOADTEST_API_TOKEN")
local run = os.getenv("LOADTEST_RUN") or "run"

function request()
  n = n + 1
  local body = string.format('{"name":"wrk-%s-%d-%d","type":"1PASSWORD","credentials":{"type":"serviceAccount","data":{"serviceAccount":"%s"}}}',
    run, tid, n, token)
  return wrk.format("POST", "/v1/integrations", {["anchor-api-key"] = key, ["Content-Type"] = "application/json"}, body)
end
