"""Challenges and the ladder in the rules service, on PostgreSQL and Kafka: a three-week streak
completes once (redelivered purchases count nothing), a broken streak starts again, the
member sees progress and the badge in their language; a member's ladder stage follows their
NPS answer and complaints, and the movement between two moments agrees with the stages the
test works out itself."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.auth import Authenticator
from shared.contracts.envelope import new_event
from tests.apps import ADMIN_KEY, POS_KEY, READER_KEY, auth_settings
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
ADMIN = {"X-API-Key": ADMIN_KEY}
READER = {"X-API-Key": READER_KEY}


def streak(run: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"streak-{run}",
        "name": {"en": "Three weeks in a row", "da": "Tre uger i træk"},
        "description": {"en": "Shop in three weeks in a row", "da": "Handl tre uger i træk"},
        "goal": "weeks_in_a_row",
        "target": 3,
        "condition": f'event.source == "pos/ch-{run}"',  # this test's purchases only
        "points": 50,
        "badge": {"id": f"regular-{run}", "name": {"en": "Regular", "da": "Stamkunde"}},
        "nudge": True,
        **changes,
    }


def event(run: str, member: str, kind: str, at: datetime, n: int, **data: Any) -> dict[str, Any]:
    if kind == "purchase.completed":
        data = {
            "purchase_id": f"r-{member}-{n}",
            "channel": "pos",
            "currency": "DKK",
            "total": "100.00",
            "lines": [{"sku": "s", "category": "pantry", "quantity": 1, "unit_price": "100.00"}],
        }
    return new_event(
        id=f"{kind}-{member}-{n}",
        source=f"pos/ch-{run}",
        type=kind,
        subject=member,
        time=at,
        data=data,
    ).model_dump(mode="json")


async def send(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    r = await client.post("/v1/events", json=events, headers={"X-API-Key": POS_KEY})
    assert r.status_code == 202, r.text


async def test_a_streak_completes_once_and_a_broken_one_starts_again(
    client: httpx.AsyncClient,
) -> None:
    run = uuid.uuid4().hex[:6]
    wrong = await client.put(
        f"/v1/challenges/streak-{run}", json=streak(run, points=0, badge=None), headers=ADMIN
    )
    assert wrong.status_code == 422
    assert "a reward is needed" in wrong.text
    r = await client.put(f"/v1/challenges/streak-{run}", json=streak(run), headers=ADMIN)
    assert r.status_code == 200, r.text
    now = datetime.now(UTC)
    steady, broken = f"ch-{run}-steady", f"ch-{run}-broken"
    weeks = [now - timedelta(days=14), now - timedelta(days=7), now]
    await send(
        client, [event(run, steady, "member.enrolled", weeks[0], 0, channel="pos", language="da")]
    )
    purchases = [event(run, steady, "purchase.completed", at, n) for n, at in enumerate(weeks)]
    # Three weeks out of four for the other: the streak breaks, and starts again.
    gaps = [now - timedelta(days=21), now - timedelta(days=7), now]
    purchases += [event(run, broken, "purchase.completed", at, n) for n, at in enumerate(gaps)]
    await send(client, purchases)
    await send(client, purchases)  # redelivered: counted once
    tokens = Authenticator(auth_settings())
    token = tokens.issue_member_token(steady)
    mine = await eventually(
        lambda: client.get(
            f"/v1/members/{steady}/challenges", headers={"Authorization": f"Bearer {token}"}
        ),
        lambda r: r.json()["badges"],
        what="the badge",
    )
    body = mine.json()
    (shown,) = [c for c in body["challenges"] if c["id"] == f"streak-{run}"]
    assert shown["name"] == "Tre uger i træk"
    assert (shown["progress"], shown["target"]) == (3, 3)
    assert shown["completed_at"] is not None
    assert [b["name"] for b in body["badges"]] == ["Stamkunde"]
    theirs_token = {"Authorization": f"Bearer {tokens.issue_member_token(broken)}"}
    other = await client.get(f"/v1/members/{broken}/challenges", headers=theirs_token)
    (theirs,) = [c for c in other.json()["challenges"] if c["id"] == f"streak-{run}"]
    assert (theirs["progress"], theirs["completed_at"]) == (2, None)
    counts = await eventually(
        lambda: client.get(f"/v1/challenges/streak-{run}", headers=ADMIN),
        lambda r: r.json()["members"].get("joined") == 2,
        what="the counts",
    )
    assert counts.json()["members"] == {
        "joined": 2,
        "on_their_way": 1,
        "completed": 1,
        "points": 50,
    }
    assert counts.json()["cost"] == "5.00"  # 50 points at the program's 0.10
    # A member's own token reaches no one else's challenges.
    assert (
        await client.get(
            f"/v1/members/{broken}/challenges", headers={"Authorization": f"Bearer {token}"}
        )
    ).status_code == 403


async def test_the_ladder_follows_nps_and_complaints_and_the_movement_adds_up(
    client: httpx.AsyncClient,
) -> None:
    run = uuid.uuid4().hex[:6]
    start = datetime.now(UTC)
    calm, upset, fan = (f"ld-{run}-{n}" for n in ("calm", "upset", "fan"))
    await send(
        client,
        [event(run, m, "member.enrolled", start, 0, channel="pos") for m in (calm, upset, fan)],
    )

    async def stage(member: str) -> str:
        r = await client.get(f"/v1/members/{member}/stage", headers=READER)
        return str(r.json()["stage"])

    await eventually(lambda: stage(upset), lambda s: s == "know-me", what="placed")
    middle = datetime.now(UTC)
    at = datetime.now(UTC)
    await send(
        client,
        [
            event(run, upset, "member.activity", at, 1, activity="nps_answer", score=2),
            event(run, upset, "complaint.opened", at, 2, complaint_id=f"c-{run}"),
            event(run, fan, "member.activity", at, 1, activity="nps_answer", score=10),
            event(run, fan, "member.activity", at, 2, activity="review"),
        ],
    )
    await eventually(lambda: stage(upset), lambda s: s == "terrorist", what="terrorist")
    await eventually(lambda: stage(fan), lambda s: s == "evangelist", what="evangelist")
    why = (await client.get(f"/v1/members/{upset}/stage", headers=READER)).json()
    assert why["facts"]["complaints_open"] == 1
    assert why["facts"]["nps_group"] == "detractor"
    assert [m["to"] for m in why["moves"]] == ["know-me", "forgive-me", "terrorist"]
    await send(
        client,
        [event(run, upset, "complaint.resolved", datetime.now(UTC), 3, complaint_id=f"c-{run}")],
    )
    await eventually(lambda: stage(upset), lambda s: s == "forgive-me", what="forgiven")
    # The oracle: between the middle and now, these three moved (or not) like this.
    expected = {("know-me", "know-me"): 1, ("know-me", "forgive-me"): 1}
    expected[("know-me", "evangelist")] = 1
    moved = await client.get(
        "/v1/ladder/movement",
        params={"from": middle.isoformat(), "to": datetime.now(UTC).isoformat()},
        headers=ADMIN,
    )
    assert moved.status_code == 200, moved.text
    # The counts are the program's (other tests' members among them): ours are in them, and
    # every member at the end came from somewhere.
    body = moved.json()
    flows = {(f["from"], f["to"]): f["members"] for f in body["flows"]}
    for key, members in expected.items():
        assert flows.get(key, 0) >= members
    assert sum(flows.values()) == sum(body["at_end"].values())
