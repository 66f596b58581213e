"""Where the time goes: each service's consumed messages and time in batches, from /metrics."""

import asyncio
import re

import httpx

_SAMPLE = re.compile(r"^(pointstream_[a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$", re.M)


def totals(metrics_text: str) -> dict[str, float]:
    """Sums of the consumer metrics over all labels but the metric's name."""
    wanted = {
        "pointstream_messages_consumed_total": "consumed",
        "pointstream_batch_seconds_sum": "batch_seconds",
        "pointstream_batch_seconds_count": "batches",
        "pointstream_batch_fallbacks_total": "fallbacks",
        "pointstream_outbox_published_total": "published",
        "pointstream_consumer_lag": "lag",
    }
    found = dict.fromkeys(wanted.values(), 0.0)
    for name, _, value in _SAMPLE.findall(metrics_text):
        if name in wanted:
            found[wanted[name]] += float(value)
    return found


async def scrape(urls: dict[str, str]) -> dict[str, dict[str, float]]:
    async with httpx.AsyncClient(timeout=10) as client:
        result = {}
        for service, url in urls.items():
            found = totals((await client.get(f"{url}/metrics")).text)
            consumed = found["consumed"] or 1
            found["ms_per_message"] = 1000 * found["batch_seconds"] / consumed
            result[service] = found
        return result


async def wait_until_idle(urls: dict[str, str], *, timeout: float = 600) -> None:
    """Until no service has messages waiting (consumer lag 0 everywhere, outboxes relayed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await scrape(urls)
        if all(f["lag"] == 0 for f in found.values()):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"still busy after {timeout} s: {found}")
        await asyncio.sleep(1)
