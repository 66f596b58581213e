"""HTTP ingest under load: wrk posting purchases, one a request or in batches, each with an
id of its own."""

import uuid
from datetime import UTC, datetime

from bench.reads import run_wrk

_SCRIPT = """
local counter = 0
local run = "%(run)s"
local event = '{"specversion":"1.0","id":"%%s-%%d","source":"pos/bench",' ..
  '"type":"purchase.completed","time":"%(time)s","subject":"m%%07d",' ..
  '"data":{"purchase_id":"p%%d","channel":"pos","currency":"DKK","total":"120.50",' ..
  '"lines":[{"sku":"milk","category":"dairy","quantity":2,"unit_price":"60.25","tags":[]}]}}'
request = function()
  local parts = {}
  for i = 1, %(batch)d do
    counter = counter + 1
    parts[i] = string.format(event, run, counter, counter %% %(members)d, counter)
  end
  local body = parts[1]
  if %(batch)d > 1 then body = "[" .. table.concat(parts, ",") .. "]" end
  return wrk.format("POST", "/v1/events",
    {["X-API-Key"] = "%(key)s", ["Content-Type"] = "application/json"}, body)
end
"""


def ingest_load(
    url: str, key: str, members: int, *, batch: int, seconds: int, connections: int
) -> dict[str, float]:
    """Requests and events per second, latency percentiles (ms), of POST /v1/events."""
    values = {
        "run": uuid.uuid4().hex[:8],
        "batch": batch,
        "members": members,
        "key": key,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = run_wrk(_SCRIPT % values, url, seconds, connections)
    result["events_per_s"] = result["requests_per_s"] * batch
    return result
