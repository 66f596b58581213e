"""Balance reads under concurrent HTTP load, from wrk in a second process."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.infra import REPO

_SCRIPT = """
math.randomseed(7)
request = function()
  local path = string.format("/v1/members/m%%07d/balance", math.random(0, %(members)d - 1))
  return wrk.format("GET", path, {["X-API-Key"] = "%(key)s"})
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        subprocess.run([REPO / "deploy/bench/install.sh"], check=True)
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed and deploy/bench/install.sh could not install it")
    return found


def balance_reads(
    url: str, key: str, members: int, *, seconds: int, connections: int
) -> dict[str, float]:
    """Requests per second and latency percentiles (ms) of GET /v1/members/{id}/balance."""
    return run_wrk(_SCRIPT % {"members": members, "key": key}, url, seconds, connections)


def run_wrk(lua: str, url: str, seconds: int, connections: int) -> dict[str, float]:
    """wrk, one thread, with the request script ``lua``: its rate and latency percentiles."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "requests.lua"
        script.write_text(lua)
        done = subprocess.run(
            [
                wrk_path(),
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> dict[str, float]:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    result = {"requests_per_s": float(rate.group(1))}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        result[f"p{pct}_ms"] = float(value) * _UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result
