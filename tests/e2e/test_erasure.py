"""Members' data rights, as a member and the retailer would check them. Erasure: after
`pointstream members erase`, no table of any service and no service's log holds the member's
email, birthday or id; the ledger's books and the program report's totals are as they were;
events for the member that come later are refused, by the ingest API and on Kafka, each with
the reason. Access: the export of a year of history holds every entry and message."""

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.apps import ADMIN_KEY, POS_KEY, READER_KEY, TILL_KEY
from tests.e2e.system import System
from tests.e2e.test_cli import pointstream
from tests.e2e.test_poison import letters_from
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.kafka_helpers import produce, read_all
from tests.polling import eventually

pytestmark = pytest.mark.e2e

BIRTHDAY = "1937-11-23"
SERVICES = ("rules", "ledger", "notifications")


async def test_an_erased_member_is_forgotten_everywhere_and_the_books_still_add_up(
    system: System, tmp_path: Path
) -> None:
    member = f"erase-{uuid.uuid4().hex[:8]}"
    email = f"{member}@example.dk"
    sheet = tmp_path / "member.csv"
    sheet.write_text(
        "member_id,channel,language,birthday,email,email_consent\n"
        f"{member},pos,da,{BIRTHDAY},{email},true\n"
    )
    assert pointstream(system, "members", "import", str(sheet)).returncode == 0
    ledger = system.urls["ledger"]
    async with httpx.AsyncClient(timeout=10) as client:
        await eventually(lambda: _balance(client, ledger, member), lambda b: b["available"] == 100)
        await eventually(
            lambda: system.deliveries(member), lambda d: len(d) == 1, what="the welcome email"
        )
        adjusted = await client.post(
            f"{ledger}/v1/admin/members/{member}/adjustments",
            headers={"X-API-Key": ADMIN_KEY},
            json={"adjustment_id": uuid.uuid4().hex, "points": 600, "reason": "goodwill"},
        )
        assert adjusted.status_code == 201, adjusted.text
        redeemed = await client.post(
            f"{ledger}/v1/members/{member}/redemptions",
            headers={"X-API-Key": TILL_KEY, "Idempotency-Key": f"bread-{member}"},
            json={"reward_id": "free-sourdough"},
        )
        assert redeemed.status_code == 201, redeemed.text
        code = redeemed.json()["voucher"]["code"]

        # The search below finds what there is: before the erasure, all three hold the email
        # (the profile, the message log) and the rules the birthday.
        assert set(await _tables_holding(system, email)) >= {"notifications.preferences"}
        assert "rules.member_states" in await _tables_holding(system, BIRTHDAY)
        before = _report(system)
        # Two purchases, and the erasure right behind them: they are booked first (in order
        # with the member's other events), then the member is forgotten.
        bought = [purchase(member, "100.00"), purchase(member, "50.00")]
        assert (await post(system, bought)).status_code == 202
        erased = pointstream(system, "members", "erase", member, "--yes")
        assert erased.returncode == 0, erased.stderr
        assert f"{member}: erased in rules, ledger, notifications" in erased.stdout
        after = _report(system)

        # The program's totals moved by the two purchases alone.
        assert after["purchases"]["count"] - before["purchases"]["count"] == 2
        assert after["members"]["known"] == before["members"]["known"]
        assert after["ledger"]["lifetime_earned"] - before["ledger"]["lifetime_earned"] == 150
        assert after["ledger"]["outstanding"] - before["ledger"]["outstanding"] == 150
        assert after["ledger"]["lifetime_redeemed"] == before["ledger"]["lifetime_redeemed"]
        books = await client.get(
            f"{ledger}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
        )
        assert books.json()["ok"], books.json()["mismatches"]

        # Nothing answers for the member any more; the voucher is cancelled at the till.
        gone = await client.get(
            f"{ledger}/v1/members/{member}/balance", headers={"X-API-Key": READER_KEY}
        )
        assert gone.status_code == 410
        assert f"member {member} was erased" in gone.json()["detail"]
        used = await client.post(
            f"{ledger}/v1/vouchers/{code}/use",
            headers={"X-API-Key": POS_KEY, "Idempotency-Key": f"use-{member}"},
            json={"where": "store-3"},
        )
        assert used.status_code == 409, used.text
        inbox = await client.get(
            f"{system.urls['notifications']}/v1/members/{member}/inbox",
            headers={"X-API-Key": READER_KEY},
        )
        assert inbox.status_code == 410

        # Later events: refused at the API with the reason, dead-lettered with it on Kafka.
        refused = await post(system, purchase(member, "10.00"))
        assert refused.status_code == 422
        assert "was erased" in json.dumps(refused.json()["errors"])
        # A till's retry of a purchase booked before the erasure, reaching Kafka after it: a
        # repeat, skipped (not dead-lettered); then a new purchase: dead-lettered.
        late = purchase(member, "20.00")
        for sent in (bought[0], late):
            await produce(
                system.kafka,
                system.kafka.topics.events,
                json.dumps(sent).encode(),
                key=member.encode(),
            )
        erased_letters = await eventually(
            lambda: letters_from(system, system.kafka.topics.events),
            lambda found: any("was erased" in h["dlq.reason"] for h in found),
            what="the late purchase dead-lettered",
        )
        assert sum("was erased" in h["dlq.reason"] for h in erased_letters) == 1
        # Its dead letter keeps nothing of it: no body, the member named by a digest only.
        # (Events dead-lettered before the erasure would keep it until the dead-letter
        # topic's retention, 30 days; they are never replayed.)
        records = await read_all(system.kafka, system.kafka.topics.dead_letter)
        keeping = [
            r
            for r in records
            if member.encode() in (r.value or b"")
            or member.encode() in (r.key or b"")
            or any(member.encode() in v for _, v in r.headers)
        ]
        assert keeping == [], "a dead letter holds the member's id"
        # A replay after a fix sends none of an erased member's dead letters back.
        replay = pointstream(
            system, "replay-dead-letters", "rules", "--group", f"{system.kafka.topic_prefix}rules"
        )
        assert replay.returncode == 0, replay.stderr
        assert (await _balance(client, ledger, member)).get("status") == 410

        again = pointstream(system, "members", "erase", member, "--yes")
        assert again.returncode == 0
        assert "erasure erased" in again.stdout  # done before: nothing sent again

    # No table of any service holds the email, the birthday or the id (the outboxes empty
    # once their relays have published).
    for needle in (email, BIRTHDAY, member):

        async def holding(needle: str = needle) -> list[str]:
            return await _tables_holding(system, needle)

        await eventually(holding, lambda found: found == [], timeout=30, what=f"no {needle}")
    for service in SERVICES:
        log = system.logs[service].read_text()
        assert email not in log, f"the {service} log holds the email"
        assert BIRTHDAY not in log, f"the {service} log holds the birthday"
        assert member not in log, f"the {service} log holds the member's id"


async def _balance(client: httpx.AsyncClient, ledger: str, member: str) -> dict[str, Any]:
    r = await client.get(f"{ledger}/v1/members/{member}/balance", headers={"X-API-Key": READER_KEY})
    return r.json() if r.status_code == 200 else {"available": None, "status": r.status_code}


def _report(system: System) -> dict[str, Any]:
    done = pointstream(system, "report", "--json")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


async def _tables_holding(system: System, needle: str) -> list[str]:
    """``service.table`` of every row, in any column (bytes read as UTF-8), holding ``needle``."""
    found = []
    for service in SERVICES:
        url = system.env[f"{service.upper()}_DATABASE_URL"].replace("+asyncpg", "")
        conn = await asyncpg.connect(url)
        try:
            columns = await conn.fetch(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'public'"
            )
            by_table: dict[str, list[str]] = {}
            for c in columns:
                as_text = (
                    f"convert_from({c['column_name']}, 'UTF8')"
                    if c["data_type"] == "bytea"
                    else f"{c['column_name']}::text"
                )
                by_table.setdefault(c["table_name"], []).append(f"{as_text} LIKE $1")
            for table, conditions in by_table.items():
                query = f"SELECT count(*) FROM {table} WHERE {' OR '.join(conditions)}"
                if await conn.fetchval(query, f"%{needle}%"):
                    found.append(f"{service}.{table}")
        finally:
            await conn.close()
    return found
