"""The console in a real browser (Debian's Chromium, driven by Playwright): a manager signs in,
edits a rule as YAML with a deliberate CEL error and sees it at its line and column, fixes it,
simulates an event and sees the rule fire with its explanation, saves a draft and publishes
it, and a purchase posted afterwards earns under the new version. The main pages pass an
axe-core check with no serious violations; the dashboard's screenshot for the README is made
here."""

import json
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from tests.apps import ADMIN_KEY
from tests.e2e.console_helpers import (
    BROKEN,
    FIXED,
    SCREENSHOTS,
    a_few_days_of_a_program,
    entries_of,
    ready,
    serious_violations,
)
from tests.e2e.system import System
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.infra import REPO
from tests.polling import eventually

pytestmark = pytest.mark.e2e


async def test_a_manager_edits_a_rule_simulates_it_and_purchases_earn_under_it(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})

    await page.goto(f"{console}/login")
    assert await serious_violations(page) == []
    await page.fill("#key", "not-a-key")
    await page.click("button[type=submit]")
    assert "That key is not an admin key." in await page.inner_text("main")
    await a_few_days_of_a_program(system)
    await page.fill("#key", ADMIN_KEY)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Signed in as admin")
    cards = " ".join((await page.inner_text("section.cards")).split())
    assert "Members 9 9 active Purchases 24 " in cards  # what a manager reads of those days
    # Repeat purchase drawn as a share (seed 004): the returning buyers' share of each day's
    # buyers, as the report series has it.
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": ADMIN_KEY}) as client:
        series = (
            await client.get(
                f"{system.urls['rules']}/v1/report/series", params={"days": 30, "bucket": "day"}
            )
        ).json()["series"]
    kind, drawn = await page.evaluate(
        '() => { const c = Chart.getChart("buyers");'
        " return [c.config.type, c.data.datasets[0].data]; }"
    )
    assert kind == "line"
    assert drawn == [
        round(1000 * p["returning_share"]) / 10 if p["new_buyers"] + p["returning_buyers"] else None
        for p in series  # a day without buyers is a gap in the line, not 0%
    ]
    assert any(share is not None and 0 < share < 100 for share in drawn)  # new and returning
    # The seeds' measures drawn: the six NPS answers sent (10, 9, 9, 8, 6, 10), breadth and
    # engagement as the report has them.
    nps, breadth, engagement = await page.evaluate(
        '() => ["nps", "breadth", "engagement"].map(id => Chart.getChart(id).data.datasets[0].data)'
    )
    assert nps == [1, 1, 4]  # detractors, passives, promoters
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": ADMIN_KEY}) as client:
        loyalty = (await client.get(f"{system.urls['rules']}/v1/report")).json()["loyalty"]
    assert breadth == [loyalty["category_breadth"][k] for k in ("1", "2", "3+")]
    active, engaged = (loyalty["engagement"][k] for k in ("active_members", "engaged_members"))
    assert engagement == [engaged, active - engaged]
    assert engaged > 0
    assert await serious_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "console-dashboard.png"), full_page=True)

    await page.click("text=Rules")
    await page.wait_for_selector("text=Base earn rate")
    assert await serious_violations(page) == []
    await page.click("text=Base earn rate")
    assert "Members get 1 point per 1 DKK spent for a purchase" in await page.inner_text("p.said")
    assert await serious_violations(page) == []
    await page.click("text=Edit as YAML")
    await page.wait_for_selector("#check .ok")  # the rule in force compiles
    await page.fill("#spec", BROKEN)
    error = await page.wait_for_selector("#check .error")
    assert error is not None
    assert "condition: line 1, column 17" in await error.inner_text()  # after ">="
    assert await serious_violations(page) == []
    await page.fill("#spec", FIXED)
    await page.wait_for_selector("#check .ok")

    await page.click("button:has-text('Simulate')")  # the rule as edited, not yet saved
    fired = await page.wait_for_selector("#simulation table")
    assert fired is not None
    explained = await fired.inner_text()
    for said in (  # en, da, sv: each writes the amount its own way
        "2 points per DKK spent (250.00 DKK)",
        "2 point pr. DKK (250,00 DKK)",
        "2 poäng per DKK (250,00 DKK)",
    ):
        assert said in explained
    # Or pick one of the events that arrived (the program's days above), for another member.
    await page.wait_for_selector("#recent")
    shown = await page.eval_on_selector_all("#recent option", "os => os.map(o => o.textContent)")
    pick = next(i for i, text in enumerate(shown) if "purchase.completed · shop-" in text)
    await page.select_option("#recent", index=pick)
    picked = json.loads(await page.input_value("#event"))
    assert (picked["type"], picked["subject"][:5]) == ("purchase.completed", "shop-")
    assert picked["data"]["total"] in shown[pick]
    await page.fill("#sim-member", "someone-else")
    await page.click("button:has-text('Simulate')")
    await page.wait_for_selector("#simulation h3:has-text('points for someone-else')")
    fired_text = await page.inner_text("#simulation table")
    assert f"2 points per DKK spent ({picked['data']['total']} DKK)" in fired_text
    assert await serious_violations(page) == []
    await page.click("text=Save as a draft")
    await page.wait_for_selector("text=Draft saved")
    assert "+condition: event.weekday >= 1" in await page.inner_text("pre.diff")
    await page.click("button:has-text('Publish…')")
    await page.click("button:has-text('Yes, publish')")
    await page.wait_for_selector("text=Published: version 2 is in force now.")

    member = f"console-{uuid.uuid4().hex[:6]}"
    assert (await post(system, purchase(member, "100.00"))).status_code == 202
    booked = await eventually(
        lambda: entries_of(system, member), lambda found: len(found) >= 1, what="the purchase"
    )
    [base] = [e for e in booked if e["rule_id"] == "base-earn"]
    assert (base["points"], base["rule_version"]) == (200, 2)
    await page.close()


def test_the_screenshots_are_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("console-dashboard.png", "wallet.png", "console-offer.png"):
        assert f"docs/screenshots/{name}" in readme
        assert Path(SCREENSHOTS / name).exists()
