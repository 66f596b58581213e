"""The words the program's data uses, for a form's pickers: the categories, tags, brands,
channels and activities of recent events, most used first."""

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import history

RECENT = 5000  # the newest events read


async def vocabulary(session: AsyncSession, *, recent: int = RECENT) -> dict[str, list[str]]:
    rows = await session.execute(
        select(history.c.event_type, history.c.event)
        .order_by(history.c.occurred_at.desc())
        .limit(recent)
    )
    seen: dict[str, Counter[str]] = {
        name: Counter()
        for name in ("categories", "tags", "brands", "channels", "activities", "event_types")
    }
    for event_type, event in rows:
        seen["event_types"][event_type] += 1
        data: dict[str, Any] = event.get("data") or {}
        _count(seen["channels"], data.get("channel"))
        _count(seen["activities"], data.get("activity"))
        for line in (event.get("purchase") or {}).get("lines", ()):
            _count(seen["categories"], line[1])
            for tag in line[4]:
                _count(seen["tags"], tag)
            if len(line) > 5 and isinstance(line[5], dict):
                _count(seen["brands"], line[5].get("brand"))
    return {name: [word for word, _ in counts.most_common(200)] for name, counts in seen.items()}


def _count(counter: Counter[str], value: Any) -> None:
    if isinstance(value, str) and value and len(value) <= 100:
        counter[value] += 1
