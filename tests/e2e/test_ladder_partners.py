"""The loyalty ladder and partners end to end, with the console in a real browser: members'
stages move as NPS answers and complaints arrive, and the ladder page's movement counts are
the ones the test works out itself; a partner posts purchases with its own key, and its
monthly settlement (API, CSV and the console's page) equals the points its rule booked in the
ledger."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from shared.contracts.envelope import CloudEvent, new_event
from tests.apps import ADMIN_KEY, ANALYST_KEY, COFFEE_KEY, READER_KEY, TILL_KEY
from tests.e2e.console_helpers import SCREENSHOTS, entries_of, ready, serious_violations, signed_in
from tests.e2e.system import System, enrolment
from tests.polling import eventually

pytestmark = pytest.mark.e2e


def said(member: str, kind: str, n: int, **data: Any) -> CloudEvent:
    return new_event(
        id=f"{kind}-{member}-{n}", source="pos/ladder", type=kind, subject=member, data=data
    )


async def stages(system: System, members: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        found = {}
        for member in members:
            r = await client.get(f"{system.urls['rules']}/v1/members/{member}/stage")
            found[member] = r.json()["stage"] if r.status_code == 200 else ""
        return found


async def test_the_ladder_moves_with_what_members_say_and_the_page_agrees(
    system: System, console: str, browser: Browser
) -> None:
    await system.wait_ready()
    run = uuid.uuid4().hex[:6]
    calm, upset, fan, critic = members = [f"ld-{run}-{n}" for n in range(4)]
    await system.send([enrolment(m) for m in members])
    placed = await eventually(
        lambda: stages(system, members), lambda s: all(s.values()), what="placed"
    )
    assert set(placed.values()) == {"know-me"}
    start = datetime.now(UTC)
    await system.send(
        [
            said(upset, "member.activity", 1, activity="nps_answer", score=3),
            said(upset, "complaint.opened", 2, complaint_id=f"c-{run}"),
            said(fan, "member.activity", 1, activity="nps_answer", score=10),
            said(fan, "referral.completed", 2, referred_member_id=calm),
            said(critic, "member.activity", 1, activity="nps_answer", score=5),
        ]
    )
    # The oracle: each member's stage by the default ladder's words, worked out by hand.
    expected = {calm: "know-me", upset: "terrorist", fan: "evangelist", critic: "forgive-me"}
    await eventually(lambda: stages(system, members), lambda s: s == expected, what="moved")
    await system.send([said(upset, "complaint.resolved", 3, complaint_id=f"c-{run}")])
    expected[upset] = "forgive-me"  # still a detractor, no longer with an open complaint
    await eventually(lambda: stages(system, members), lambda s: s == expected, what="forgiven")
    flows = Counter((placed[m], expected[m]) for m in members)
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": ANALYST_KEY}) as client:
        r = await client.get(
            f"{system.urls['rules']}/v1/ladder/movement",
            params={"from": start.isoformat(), "to": datetime.now(UTC).isoformat()},
        )
    moved = {(f["from"], f["to"]): f["members"] for f in r.json()["flows"]}
    assert moved == dict(flows)  # this module's system: these four members are all there is

    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    page = await signed_in(browser, console)
    await page.click("nav >> text=Ladder")
    await page.fill("#start", (start - timedelta(days=1)).date().isoformat())
    await page.click("button:has-text('Show')")
    table = await page.inner_text("table:has(caption:has-text('Members who moved'))")
    lines = {" ".join(line.split()) for line in table.splitlines()}
    # From the day before: all four were not yet placed then.
    for stage, n in Counter(expected.values()).items():
        name = {"know-me": "Know me", "terrorist": "Terrorist", "evangelist": "Evangelist"}.get(
            stage, "Forgive me"
        )
        assert f"Not yet placed {name} {n}" in lines
    now = " ".join((await page.inner_text("table:has(caption:has-text('The stages'))")).split())
    assert "Forgive me A complaint not yet resolved" in now
    assert await page.locator("svg.sankey path.band").count() == len(set(expected.values()))
    assert await serious_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "console-ladder.png"), full_page=True)
    await page.goto(f"{console}/members?member={upset}")
    shown = " ".join((await page.inner_text("main")).split())
    assert "Ladder stage: Forgive me" in shown
    assert "NPS: detractor · open complaints: 0" in shown
    await page.close()


CUP = {
    "kind": "partner_reward",
    "cost_points": 60,
    "names": {"en": "A cup at Coffee & Co", "da": "En kop hos Coffee & Co"},
    "funded_by": "coffee",
}


def partner_purchase(run: str, member: str, n: int) -> dict[str, Any]:
    return new_event(
        id=f"coffee-{member}-{n}",
        source=f"partners/coffee/{run}",
        type="purchase.completed",
        subject=member,
        data={"purchase_id": f"c-{n}", "channel": "pos", "currency": "DKK", "total": "42.00"},
    ).model_dump(mode="json")


async def test_a_partners_settlement_is_what_the_ledger_booked_for_it(
    system: System, console: str, browser: Browser
) -> None:
    await system.wait_ready()
    run = uuid.uuid4().hex[:6]
    rules = system.urls["rules"]
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    page = await signed_in(browser, console)
    await page.click("nav >> text=Partners")
    await page.fill("#name", "Coffee & Co")
    await page.fill("#partner_id", "coffee")
    await page.fill("#point_value", "0.05")
    await page.check("input[name=pays_redemptions]")
    await page.click("button:has-text('Save the partner')")
    await page.wait_for_selector("text=Its API key needs the scope partner:coffee.")
    assert await serious_violations(page) == []
    rule = {
        "id": f"coffee-{run}",
        "name": "Coffee at Coffee & Co",
        "driver": "economic",
        "events": ["purchase.completed"],
        "condition": f'event.source == "partners/coffee/{run}"',
        "effect": {"type": "points_per_amount", "points": 2, "per": 1},
        "explanation": {"en": "$points points at Coffee & Co"},
        "funded_by": "coffee",
    }
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": ADMIN_KEY}) as admin:
        assert (await admin.put(f"{rules}/v1/rules/coffee-{run}", json=rule)).status_code == 200
    members = [f"pc-{run}-{n}" for n in range(3)]
    await system.send([enrolment(m) for m in members])
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": COFFEE_KEY}) as coffee:
        r = await coffee.post(
            f"{rules}/v1/events",
            json=[  # the first member buys one coffee, the next two, the last three
                partner_purchase(run, m, n) for k, m in enumerate(members) for n in range(k + 1)
            ],
        )
        assert r.status_code == 202, r.text

    def ours(found: list[dict[str, Any]]) -> int:
        return sum(e["points"] for e in found if e["rule_id"] == f"coffee-{run}")

    booked: dict[str, int] = {}
    for k, member in enumerate(members):  # 2 points per krone: 84 a coffee
        found = await eventually(
            lambda m=member: entries_of(system, m),  # type: ignore[misc]
            lambda e, k=k: ours(e) == 84 * (k + 1),  # type: ignore[misc]
            what="the partner's points",
        )
        booked[member] = ours(found)
    # A member spends 60 points on the partner's own reward: the partner pays for it too.
    ledger = system.urls["ledger"]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": ADMIN_KEY}) as admin:
        r = await admin.put(
            f"{ledger}/v1/admin/rewards/coffee-cup-{run}", json=CUP | {"id": f"coffee-cup-{run}"}
        )
        assert r.status_code == 200, r.text
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": TILL_KEY}) as till:
        r = await till.post(
            f"{ledger}/v1/members/{members[2]}/redemptions",
            json={"reward_id": f"coffee-cup-{run}"},
            headers={"Idempotency-Key": f"cup-{run}"},
        )
        assert r.status_code == 201, r.text
    month = datetime.now(UTC).strftime("%Y-%m")
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": COFFEE_KEY}) as coffee:
        settled = (
            await coffee.get(f"{rules}/v1/partners/coffee/settlement", params={"month": month})
        ).json()
    points = sum(booked.values())
    assert settled["points_awarded"] == points  # what the members' statements say it gave
    assert settled["ledger"] == {"points_booked": points, "points_redeemed_on_its_rewards": 60}
    assert settled["amount"] == f"{(points + 60) * 0.05:.2f}"
    await page.goto(f"{console}/partners/coffee?month={month}")
    shown = " ".join((await page.inner_text("main")).split())
    assert f"Points awarded {points:,}" in shown
    assert "Redeemed on its rewards 60" in shown
    assert f"To invoice {settled['amount']}" in shown
    assert await serious_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "console-partner.png"), full_page=True)
    download = await page.request.get(f"{console}/partners/coffee/settlement.csv?month={month}")
    table = await download.text()
    assert f"coffee,{month},coffee-{run},{points},0" in table
    assert "points_redeemed_on_its_rewards,60" in table
    await page.close()
