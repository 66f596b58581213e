"""Audiences and offers in the rules service, on PostgreSQL and Kafka: an audience fills as its
members' events arrive and as time passes, an offer reaches its treated members only (the
control group chosen by a hash the test computes itself), activation is one event, the
offer's points are awarded once under its name, the lift counts both groups, and a replay
of a draft agrees with the sum the test computes from what it sent."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shared.auth import Authenticator
from shared.contracts.envelope import new_event
from shared.db import create_engine
from tests.apps import ADMIN_KEY, ANALYST_KEY, POS_KEY, auth_settings
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
ADMIN = {"X-API-Key": ADMIN_KEY}
LAPSING = {
    "id": "lapsing",
    "name": "Lapsing",
    "condition": "member.purchases_total > 0 && member.days_since_last_purchase >= 60",
}
SHARE = Decimal("0.3")


def offer(run: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"winback-{run}",
        "name": {"en": "Welcome back", "da": "Velkommen tilbage", "sv": "Välkommen tillbaka"},
        "description": {"en": "200 points on your next purchase"},
        "audience": f"lapsing-{run}",
        "effect": {"type": "fixed", "points": 200},
        "per_member_limit": 200,
        "activation": "clip",
        "control_share": str(SHARE),
        **changes,
    }


def in_control(member: str, offer_id: str) -> bool:
    """The control group as the contract states it, computed here apart from the code."""
    digest = hashlib.sha256(f"{offer_id}\x00{member}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < float(SHARE)


def purchase(member: str, at: datetime, total: str = "100.00", n: int = 0) -> dict[str, Any]:
    return new_event(
        id=f"p-{member}-{n}",
        source="pos/aud",
        type="purchase.completed",
        subject=member,
        time=at,
        data={
            "purchase_id": f"r-{member}-{n}",
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": [{"sku": "s", "category": "pantry", "quantity": 1, "unit_price": total}],
        },
    ).model_dump(mode="json")


async def send(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    r = await client.post("/v1/events", json=events, headers={"X-API-Key": POS_KEY})
    assert r.status_code == 202, r.text


async def test_a_win_back_offer_reaches_the_treated_lapsing_members_only(
    client: httpx.AsyncClient,
) -> None:
    run = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    lapsed = [f"aud-{run}-l{n}" for n in range(24)]
    active = [f"aud-{run}-a{n}" for n in range(4)]
    soon = [f"aud-{run}-s{n}" for n in range(2)]  # 60 days since their purchase in 25 s
    soon_at = now + timedelta(seconds=25)
    r = await client.put(
        f"/v1/audiences/lapsing-{run}", json={**LAPSING, "id": f"lapsing-{run}"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    broken = await client.put(
        f"/v1/offers/winback-{run}", json=offer(run, audience="nobody"), headers=ADMIN
    )
    assert broken.status_code == 422
    assert "no audience 'nobody'" in broken.text
    r = await client.put(f"/v1/offers/winback-{run}", json=offer(run), headers=ADMIN)
    assert r.status_code == 200, r.text
    await send(
        client,
        [purchase(m, now - timedelta(days=70)) for m in lapsed]
        + [purchase(m, now - timedelta(days=5)) for m in active]
        + [purchase(m, soon_at - timedelta(days=60)) for m in soon],
    )
    members = lapsed + active + soon

    async def in_audience() -> set[str]:
        found = (await client.get(f"/v1/audiences/lapsing-{run}?sample=100", headers=ADMIN)).json()
        return {m["member_id"] for m in found["sample"]}

    # Each purchase, as it arrives, moves its member: 70 days ago means lapsing already; 60
    # days less 25 s does not (yet).
    await eventually(in_audience, lambda got: got >= set(lapsed), what="lapsing by events")
    if datetime.now(UTC) < soon_at - timedelta(seconds=3):
        assert await in_audience() == set(lapsed)
    preview = await client.post(
        "/v1/audiences/preview", json={"condition": LAPSING["condition"]}, headers=ADMIN
    )
    assert preview.json()["ok"]
    assert preview.json()["count"] >= len(lapsed)
    typo = await client.post(
        "/v1/audiences/preview", json={"condition": "member.days_since >= "}, headers=ADMIN
    )
    assert not typo.json()["ok"]
    assert typo.json()["line"] == 1
    # Time alone moves the two whose purchase turns 60 days old.
    deadline = soon_at + timedelta(seconds=30)
    while set(soon) - await in_audience() and datetime.now(UTC) < deadline:
        assert (await client.post("/v1/audiences/refresh", headers=ADMIN)).status_code == 200
    assert await in_audience() == set(lapsed) | set(soon)

    tokens = Authenticator(auth_settings())
    offer_id = f"winback-{run}"
    treated = [m for m in lapsed + soon if not in_control(m, offer_id)]
    control = [m for m in lapsed + soon if in_control(m, offer_id)]
    assert treated
    assert control
    for member in members:
        mine = await client.get(
            f"/v1/members/{member}/offers",
            headers={"Authorization": f"Bearer {tokens.issue_member_token(member)}"},
        )
        assert mine.status_code == 200
        ids = [o["id"] for o in mine.json()]
        assert ids == ([offer_id] if member in treated else []), member
    # Only the treated may clip it; the control group is told it is not theirs.
    for member in treated + control[:1]:
        bearer = {"Authorization": f"Bearer {tokens.issue_member_token(member)}"}
        r = await client.post(f"/v1/members/{member}/offers/{offer_id}/activation", headers=bearer)
        assert r.status_code == (202 if member in treated else 409), (member, r.text)

    async def clipped() -> int:
        n = 0
        for member in treated:
            bearer = {"Authorization": f"Bearer {tokens.issue_member_token(member)}"}
            got = (await client.get(f"/v1/members/{member}/offers", headers=bearer)).json()
            n += got[0]["activated"]
        return n

    await eventually(clipped, lambda n: n == len(treated), what="activations applied")
    # Everyone buys again today (twice, the second the same receipt re-sent).
    today = datetime.now(UTC)
    again = [purchase(m, today, "80.00", n=1) for m in members]
    await send(client, again + again[:3])

    async def lift() -> dict[str, Any]:
        r = await client.get(f"/v1/offers/{offer_id}/lift", headers={"X-API-Key": ANALYST_KEY})
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    report = await eventually(
        lift,
        lambda got: (
            got["groups"]["treated"]["purchases_per_member"] == 1.0
            and got["groups"]["control"]["purchases_per_member"] == 1.0
        ),
        what="every lapsed member's new purchase counted",
    )
    groups = report["groups"]
    assert groups["treated"]["members"] == len(treated)
    assert groups["control"]["members"] == len(control)
    assert groups["treated"]["points"] == 200 * len(treated)
    assert groups["control"]["points"] == 0
    assert groups["treated"]["spend_per_member"] == pytest.approx(80.0)
    assert groups["treated"]["repeat_purchase_share"] == 1.0
    share = report["lift"]["repeat_purchase_share"]
    assert share["difference"] == 0.0

    # A draft: 3 points per 10 DKK spent by lapsing members (none saved), over the last 100
    # days: the test's own sum of what it sent.
    draft = {
        "id": f"draft-{run}",
        "name": "Draft",
        "driver": "economic",
        "events": ["purchase.completed"],
        "condition": f'event.source == "pos/aud" && member.id.startsWith("aud-{run}-")',
        "effect": {"type": "points_per_amount", "points": 3, "per": 10},
        "explanation": {"en": "draft"},
    }
    replayed = await client.post(
        f"/v1/rules/draft-{run}/replay?days=100", json=draft, headers=ADMIN
    )
    assert replayed.status_code == 200, replayed.text
    expected = 30 * len(members) + 24 * len(members)  # 100 DKK then 80 DKK, 3 per 10
    assert replayed.json()["draft"]["points"] == expected
    assert replayed.json()["draft"]["members"] == len(members)
    assert replayed.json()["live"] is None
    assert (await client.get(f"/v1/rules/draft-{run}/versions", headers=ADMIN)).status_code == 404


async def test_an_erased_member_leaves_no_trace_in_audiences_or_the_history(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, url = served
    run = uuid.uuid4().hex[:6]
    friend, referrer = f"er-{run}-friend", f"er-{run}-ref"
    r = await client.put(
        f"/v1/audiences/buyers-{run}",
        json={"id": f"buyers-{run}", "name": "Buyers", "condition": "member.purchases_total > 0"},
        headers=ADMIN,
    )
    assert r.status_code == 200
    referral = new_event(
        id=f"ref-{run}",
        source="app/aud",
        type="referral.completed",
        subject=referrer,
        data={"referred_member_id": friend},
    ).model_dump(mode="json")
    await send(client, [purchase(friend, datetime.now(UTC)), referral])
    engine = create_engine(url)
    try:

        async def traces() -> int:
            async with engine.connect() as conn:
                found = 0
                for table in ("history", "audience_members", "audience_moves"):
                    sql = f"SELECT count(*) FROM {table} WHERE CAST({table}.* AS TEXT) LIKE :id"
                    found += await conn.scalar(text(sql), {"id": f"%{friend}%"}) or 0
                return found

        await eventually(traces, lambda n: n >= 4, what="the friend in history and audience")
        erased = await client.post(f"/v1/members/{friend}/erasure", headers=ADMIN)
        assert erased.status_code == 202, erased.text
        await eventually(traces, lambda n: n == 0, what="no trace of the friend")
    finally:
        await engine.dispose()
