"""Challenges end to end on Kafka and PostgreSQL with the three services: a three-week streak
completes once, though its purchases are sent twice and the rules service dies mid-chunk
(after its database commit, before its offsets: the chunk comes again); its points are booked
once, the member is told once (in Danish), and the badge shows in the Danish wallet. And a
manager makes a challenge with the console's form, with no expression to write."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from shared.contracts.envelope import CloudEvent, new_event
from shared.faults import EXIT_CODE
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.console_helpers import (
    SCREENSHOTS,
    entries_of,
    on_a_phone,
    ready,
    serious_violations,
    signed_in,
    wallet_link,
)
from tests.e2e.system import System, enrolment
from tests.polling import eventually

pytestmark = pytest.mark.e2e


def bought(run: str, member: str, at: datetime, n: int) -> CloudEvent:
    return new_event(
        id=f"streak-{member}-{n}",
        source=f"pos/streak-{run}",
        type="purchase.completed",
        subject=member,
        time=at,
        data={
            "purchase_id": f"r-{member}-{n}",
            "channel": "pos",
            "currency": "DKK",
            "total": "80.00",
            "lines": [{"sku": "milk", "category": "dairy", "quantity": 2, "unit_price": "40.00"}],
        },
    )


def streak(run: str) -> dict[str, Any]:
    return {
        "id": f"streak-{run}",
        "name": {"en": "Three weeks in a row", "da": "Tre uger i træk"},
        "description": {"en": "Shop three weeks in a row", "da": "Handl tre uger i træk"},
        "goal": "weeks_in_a_row",
        "target": 3,
        "condition": f'event.source == "pos/streak-{run}"',
        "points": 75,
        "badge": {"id": "regular", "name": {"en": "Regular", "da": "Stamkunde"}, "icon": "★"},
        "reward_id": "plant-a-tree",  # from the default catalogue, free
    }


async def inbox_kinds(system: System, member: str) -> list[str]:
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        r = await client.get(
            f"{system.urls['notifications']}/v1/members/{member}/inbox", params={"limit": 100}
        )
    return [m["kind"] for m in r.json()["messages"]] if r.status_code == 200 else []


async def test_a_streak_completes_once_under_redelivery_and_a_crash(
    system: System, console: str, browser: Browser
) -> None:
    await system.wait_ready()
    run = uuid.uuid4().hex[:6]
    rules = system.urls["rules"]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": ADMIN_KEY}) as admin:
        r = await admin.put(f"{rules}/v1/challenges/streak-{run}", json=streak(run))
        assert r.status_code == 200, r.text
    member = f"streak-{run}"
    now = datetime.now(UTC)
    first, second, third = (now - timedelta(days=d) for d in (21, 14, 7))
    await system.send([enrolment(member, language="da"), bought(run, member, first, 0)])
    await system.send([bought(run, member, second, 1)])
    await eventually(lambda: entries_of(system, member), lambda e: len(e) >= 3, what="booked")
    # The rules die after committing the chunk that completes the streak, before its offsets:
    # it comes again, with the earlier purchases sent once more.
    system.kill("rules")
    system.spawn("rules", POINTSTREAM_FAULT="after-db-commit")
    await system.send(
        [
            bought(run, member, third, 2),
            bought(run, member, first, 0),
            bought(run, member, second, 1),
        ]
    )
    assert await system.died("rules") == EXIT_CODE
    system.spawn("rules")
    await system.wait_ready("rules")
    entries = await eventually(
        lambda: entries_of(system, member),
        lambda found: any(e["rule_id"] == f"challenge:streak-{run}" for e in found),
        what="the challenge's points",
    )
    [completed] = [e for e in entries if e["rule_id"] == f"challenge:streak-{run}"]
    assert completed["points"] == 75
    assert completed["explanation"] == '75 point: du gennemførte udfordringen "Tre uger i træk"'
    kinds = await eventually(
        lambda: inbox_kinds(system, member), lambda k: "challenge_completed" in k, what="told"
    )
    # A fourth week in a row, after it was completed: nothing more (it is earned once).
    await system.send([bought(run, member, now, 3)])
    await eventually(lambda: entries_of(system, member), lambda e: len(e) >= len(entries) + 1)
    assert [e["rule_id"] for e in await entries_of(system, member)].count(
        f"challenge:streak-{run}"
    ) == 1
    kinds = await inbox_kinds(system, member)
    assert kinds.count("challenge_completed") == 1
    # Its catalogue reward: one voucher, for no points, though the completion came twice.
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        found = await client.get(f"{system.urls['ledger']}/v1/members/{member}/vouchers")
    gifts = [v for v in found.json() if v["reward_id"] == "plant-a-tree"]
    assert [(v["points"], v["status"]) for v in gifts] == [(0, "issued")]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": ADMIN_KEY}) as admin:
        unknown = await admin.put(
            f"{system.urls['rules']}/v1/challenges/streak-{run}",
            json=streak(run) | {"reward_id": "no-such-reward"},
        )
    assert unknown.status_code == 422
    assert "no reward 'no-such-reward' in the catalogue" in unknown.text

    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    phone = await on_a_phone(browser, wallet_link(system, console, member), "Log ind")
    await phone.wait_for_selector("#badges")
    badges = " ".join((await phone.inner_text("#badges")).split())
    assert "Dine badges" in badges
    assert "Stamkunde" in badges
    shown = " ".join((await phone.inner_text("#challenges")).split())
    assert "Tre uger i træk" in shown
    assert "Gennemført" in shown
    assert "3 af 3 uger i træk" in shown
    inbox = " ".join((await phone.inner_text("main")).split())
    assert "Udfordring gennemført: Tre uger i træk" in inbox
    assert await serious_violations(phone) == []
    await phone.screenshot(path=str(SCREENSHOTS / "wallet-badges.png"), full_page=True)
    await phone.close()


async def test_a_manager_makes_a_challenge_with_the_form(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    run = uuid.uuid4().hex[:6]
    page = await signed_in(browser, console)
    await page.click("nav >> text=Challenges")
    await page.click("text=New challenge")
    await page.fill("#name_en", f"Organic explorer {run}")
    await page.fill("#name_da", f"Økologisk opdager {run}")
    await page.fill("#description_en", "Buy something organic three times this month")
    await page.select_option("#goal", "count")
    await page.fill("#target", "3")
    await page.select_option("#step", "tag")
    await page.fill("#step_value", "organic")
    await page.check("input[name=window][value=rolling]")
    await page.fill("#rolling_days", "30")
    await page.fill("#points", "150")
    await page.fill("#badge_en", "Organic explorer")
    await page.fill("#badge_da", "Økologisk opdager")
    await page.check("input[name=nudge]")
    assert await serious_violations(page) == []
    await page.click("button:has-text('Save the challenge')")
    await page.wait_for_selector("text=Saved (version 1)")
    # The form round-trips: what was chosen is what opens again, with no expression shown.
    assert await page.input_value("#step_value") == "organic"
    assert await page.input_value("#rolling_days") == "30"
    assert "Condition written by hand" not in await page.inner_text("main")
    await page.screenshot(path=str(SCREENSHOTS / "console-challenge.png"), full_page=True)
    await page.click("button:has-text('Save the challenge')")  # unchanged: the same version
    await page.wait_for_selector("text=Saved (version 1)")
    challenge_id = f"organic-explorer-{run}"
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": ADMIN_KEY}) as admin:
        spec = (await admin.get(f"{system.urls['rules']}/v1/challenges/{challenge_id}")).json()
    assert spec["spec"]["condition"] == '"organic" in purchase.tags'
    assert spec["spec"]["badge"]["name"] == {"en": "Organic explorer", "da": "Økologisk opdager"}
    await page.click("nav >> text=Challenges")
    row = " ".join((await page.inner_text(f"tr:has-text('Organic explorer {run}')")).split())
    assert "3 \N{MULTIPLICATION SIGN} steps in all" in row
    assert "150 points and ★ Organic explorer" in row
    assert await serious_violations(page) == []
    await page.close()
