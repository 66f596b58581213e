"""The event contract as a document: docs/asyncapi.json is what the code generates, it is valid
for the AsyncAPI project's own parser (npm @asyncapi/parser), and every message the three
services write in a working day matches its schema there."""

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.contracts.asyncapi import document, message_type_schema
from shared.contracts.envelope import new_event
from tests.apps import ADMIN_KEY, POS_KEY, TILL_KEY
from tests.e2e.system import System, enrolment
from tests.infra import REPO
from tests.kafka_helpers import read_until
from tests.polling import eventually

pytestmark = pytest.mark.e2e
CHECKED_IN = REPO / "docs" / "asyncapi.json"
VALIDATOR = REPO / "deploy" / "asyncapi" / "validate.mjs"


def node_check(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    """The parser's verdict (exit status) and what it printed, one JSON object a line."""
    subprocess.run([REPO / "deploy" / "asyncapi" / "install.sh"], check=True)
    done = subprocess.run(
        ["node", str(VALIDATOR), *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, lines


def test_the_checked_in_document_is_the_one_the_code_generates() -> None:
    assert json.loads(CHECKED_IN.read_text()) == json.loads(json.dumps(document())), (
        "docs/asyncapi.json is stale: python -m shared.contracts.asyncapi > docs/asyncapi.json"
    )


def test_the_asyncapi_parser_finds_no_error_in_it() -> None:
    status, found = node_check(CHECKED_IN)
    assert status == 0, found
    assert [f for f in found if f.get("severity") == 0] == []


async def test_every_message_the_services_write_matches_the_document(
    system: System, tmp_path: Path
) -> None:
    member, friend = f"c-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)

    def event(type_: str, data: dict[str, Any], *, subject: str = member) -> Any:
        return new_event(
            id=f"{type_}-{uuid.uuid4().hex[:8]}",
            source="pos/contract",
            type=type_,
            subject=subject,
            data=data,
            time=now - timedelta(minutes=1),
        )

    bought = event(
        "purchase.completed",
        {
            "purchase_id": "p-1",
            "channel": "pos",
            "currency": "DKK",
            "total": "500.00",
            "lines": [
                {
                    "sku": "milk",
                    "category": "dairy",
                    "quantity": 2,
                    "unit_price": "250.00",
                    "tags": ["organic"],
                }
            ],
        },
    )
    await system.send(
        [
            enrolment(
                member, language="da", email=f"{member}@example.com", consents={"email": True}
            ),
            bought,
            event(
                "purchase.returned",
                {
                    "return_id": "r-1",
                    "original_event_id": bought.id,
                    "currency": "DKK",
                    "amount": "100.00",
                },
            ),
            event("member.activity", {"activity": "review"}),
            event("member.profile_updated", {"language": "sv"}),
            event("referral.completed", {"referred_member_id": friend}),
            event("complaint.resolved", {"complaint_id": "k-1", "severity": "minor"}),
        ]
    )
    async with httpx.AsyncClient(timeout=10) as client:
        ledger = system.urls["ledger"]
        adjusted = await client.post(
            f"{ledger}/v1/admin/members/{member}/adjustments",
            headers={"X-API-Key": ADMIN_KEY},
            json={"adjustment_id": uuid.uuid4().hex, "points": 200, "reason": "contract test"},
        )
        assert adjusted.status_code == 201, adjusted.text

        async def redeemed() -> httpx.Response:
            return await client.post(
                f"{ledger}/v1/members/{member}/redemptions",
                headers={"X-API-Key": TILL_KEY, "Idempotency-Key": f"tree-{member}"},
                json={"reward_id": "plant-a-tree"},
            )

        voucher = await eventually(
            redeemed, lambda r: r.status_code in (200, 201), what="a voucher"
        )
        code = voucher.json()["voucher"]["code"]
        used = await client.post(
            f"{ledger}/v1/vouchers/{code}/use",
            headers={"X-API-Key": POS_KEY, "Idempotency-Key": f"use-{member}"},
            json={"where": "store-12"},
        )
        assert used.status_code == 200, used.text

    topics = system.kafka.topics
    written: list[dict[str, Any]] = []
    for topic, last in ((topics.awards, "member.profile_changed"), (topics.ledger, "voucher.used")):

        def done(records: list[Any], last: str = last) -> bool:
            return any(
                json.loads(r.value)["type"] == last and json.loads(r.value)["subject"] == member
                for r in records
            )

        written += [json.loads(r.value) for r in await read_until(system.kafka, topic, done)]
    mine = [m for m in written if m["subject"] in (member, friend)]
    kinds = {m["type"] for m in mine}
    assert {
        "points.decided",
        "member.profile_changed",
        "points.earned",
        "points.adjusted",
        "points.redeemed",
        "voucher.issued",
        "voucher.used",
    } <= kinds, kinds
    lines = tmp_path / "messages.jsonl"
    with lines.open("w") as out:
        for message in mine:
            name = message_type_schema(message["type"])
            assert name is not None, f"{message['type']} is not in the document"
            out.write(json.dumps({"message": name, "value": message}) + "\n")
    status, found = node_check(CHECKED_IN, lines)
    assert status == 0, [f for f in found if f.get("severity") == 0]
    assert found[-1] == {"checked": len(mine)}
    async with httpx.AsyncClient(timeout=10) as client:
        for service, url in system.urls.items():
            served = (await client.get(f"{url}/asyncapi.json")).json()
            assert served == json.loads(CHECKED_IN.read_text()), service
