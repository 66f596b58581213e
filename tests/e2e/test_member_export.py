"""The export of a member with a year of history holds every entry and message the services
keep of them."""

import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import event_key
from tests.apps import READER_KEY
from tests.e2e.system import System
from tests.e2e.test_cli import pointstream
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.polling import eventually

pytestmark = pytest.mark.e2e


async def test_the_export_of_a_member_with_a_year_of_history_holds_every_entry_and_message(
    system: System, tmp_path: Path
) -> None:
    """The right of access over a long history: a year of monthly purchases, a return, a
    profile change; the zip holds every entry the statement lists, every inbox message and
    the preferences, each once."""
    member = f"year-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    year_ago = now - timedelta(days=365)

    def at(days_ago: int, body: dict[str, Any]) -> dict[str, Any]:
        moment = now - timedelta(days=days_ago)
        return {**body, "time": moment.isoformat()}

    enrolled = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "pos/e2e",
        "type": "member.enrolled",
        "time": year_ago.isoformat(),
        "subject": member,
        "data": {"channel": "pos", "language": "sv", "email": f"{member}@example.se"},
    }
    monthly = [at(365 - 30 * n, purchase(member, f"{100 + n}.00")) for n in range(1, 13)]
    returned = at(
        20,
        {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "pos/e2e",
            "type": "purchase.returned",
            "subject": member,
            "data": {
                "return_id": "r-1",
                "original_event_id": monthly[-2]["id"],
                "original_source": monthly[-2]["source"],  # a return at another till
                "currency": "DKK",
                "amount": "50.00",
                "lines": [],
            },
        },
    )
    changed = at(
        10,
        {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "app",
            "type": "member.profile_updated",
            "subject": member,
            "data": {"language": "da", "consents": {"email": True, "push": False}},
        },
    )
    # One batch: the return names a purchase of the same batch (ingest checks it exists).
    assert (await post(system, [enrolled, *monthly, returned, changed])).status_code == 202

    headers = {"X-API-Key": READER_KEY}
    async with httpx.AsyncClient(timeout=10, headers=headers) as client:

        async def statement() -> list[dict[str, Any]]:
            entries: list[dict[str, Any]] = []
            cursor = None
            while True:
                params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
                page = (
                    await client.get(
                        f"{system.urls['ledger']}/v1/members/{member}/entries", params=params
                    )
                ).json()
                entries += page["entries"]
                if not (cursor := page["next_cursor"]):
                    return entries

        listed = await eventually(
            statement,
            lambda found: (
                sum(e["kind"] == "reverse" for e in found) >= 1
                and sum(e["kind"] == "earn" for e in found) >= 13
            ),
            timeout=60,
            what="a year of earnings and the return booked",
        )
        inbox = await eventually(
            lambda: _inbox(client, system, member),
            lambda found: len(found) >= 14,
            what="a message per earning and the return",
        )

    archive = tmp_path / "year.zip"
    done = pointstream(system, "members", "export", member, "--out", str(archive))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(archive) as zipped:
        files = {n: json.loads(zipped.read(n)) for n in zipped.namelist() if n.endswith(".json")}
    exported_entries = [e["entry_id"] for e in files["ledger.json"]["entries"]]
    assert len(exported_entries) == len(set(exported_entries))
    assert {e["entry_id"] for e in listed} <= set(exported_entries)
    exported_messages = [m["message_id"] for m in files["notifications.json"]["inbox"]]
    assert {m["message_id"] for m in inbox} <= set(exported_messages)
    assert len(exported_messages) == len(set(exported_messages))
    [prefs] = files["notifications.json"]["preferences"]
    assert (prefs["prefs"]["language"], prefs["prefs"]["email"]) == ("da", f"{member}@example.se")
    purchases = files["rules.json"]["purchases"]
    # Each purchase as its till named it (source and id), beside the key the rules use.
    assert sorted(p["record"]["id"] for p in purchases) == sorted(e["id"] for e in monthly)
    assert {p["record"]["source"] for p in purchases} == {"pos/store-7"}
    # (and any the rules made themselves: enrolled a year ago today is an anniversary)
    assert {e["event_id"] for e in files["rules.json"]["processed_events"]} >= {
        event_key(e["source"], e["id"]) for e in (enrolled, *monthly, returned, changed)
    }


async def _inbox(client: httpx.AsyncClient, system: System, member: str) -> list[dict[str, Any]]:
    r = await client.get(
        f"{system.urls['notifications']}/v1/members/{member}/inbox", params={"limit": 200}
    )
    return r.json()["messages"] if r.status_code == 200 else []
