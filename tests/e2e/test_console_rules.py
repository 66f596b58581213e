"""A manager makes a rule with the keyboard only (Chromium; axe clean on every page): signs in,
starts "double points on organic" from a template, narrows it with pickers fed by the data
(no CEL typed), saves a draft, simulates an event that arrived, replays the last 30 days,
schedules it a little ahead and confirms; the audit trail shows who scheduled it; once its time
has come a purchase earns what the form said. Every page fits 1,280 px."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser

from shared.contracts.envelope import CloudEvent, new_event
from tests.apps import ADMIN_KEY, MANAGER_KEY
from tests.e2e.console_helpers import SCREENSHOTS, entries_of, fits, press_on, ready, tab_to
from tests.e2e.system import System
from tests.polling import eventually

pytestmark = pytest.mark.e2e


def farm_purchase(member: str, category: str, n: int) -> CloudEvent:
    """40 kr of organic carrots and 60 kr of other things, in the farm shop's category."""
    return new_event(
        id=f"kb-{member}-{n}",
        source="pos/farm-shop",
        type="purchase.completed",
        subject=member,
        time=datetime.now(UTC),
        data={
            "purchase_id": f"kb-{member}-{n}",
            "channel": "pos",
            "currency": "DKK",
            "total": "100.00",
            "lines": [
                {
                    "sku": "carrots",
                    "category": category,
                    "quantity": 2,
                    "unit_price": "20.00",
                    "tags": ["organic"],
                },
                {"sku": "jam", "category": category, "quantity": 1, "unit_price": "60.00"},
            ],
        },
    )


async def test_a_manager_makes_schedules_and_publishes_a_rule_with_the_keyboard_only(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    run = uuid.uuid4().hex[:6]
    member, category, rule_id = f"kb-{run}", f"farm-{run}", f"organic-{run}"
    await system.send([farm_purchase(member, category, 1)])  # the data the pickers offer
    await eventually(lambda: entries_of(system, member), bool, what="the first purchase")

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{console}/login")
    await tab_to(page, "#key")
    await page.keyboard.type(MANAGER_KEY)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("text=Signed in as")
    await press_on(page, "nav a[href='/rules']")
    await page.wait_for_selector("h1:has-text('Rules')")
    await fits(page)
    await press_on(page, "a[href='/rules/new']")
    await page.wait_for_selector("text=Start from a rule that works")
    await fits(page)
    await press_on(page, "a[href='/rules/new/organic-double']")
    await page.wait_for_selector("#rule-form")
    assert "shares the member's values" in await page.inner_text("main")
    # The id, and a condition picked from the categories the data has: no CEL typed.
    await tab_to(page, "#rule_id")
    await page.keyboard.press("Control+A")
    await page.keyboard.type(rule_id)
    assert await page.input_value("#lines_value") == "organic"  # the template's, in the picker
    tags = await page.eval_on_selector_all(
        "#lines_value optgroup[data-kind=tag] option", "os => os.map(o => o.value)"
    )
    assert "organic" in tags  # seen in the purchases
    await tab_to(page, "#if_category")
    await page.keyboard.type(category)  # a closed select picks by typing, as on a desktop
    assert await page.input_value("#if_category") == category
    await tab_to(page, "#per_member_per_day")
    await page.keyboard.type("500")
    await press_on(page, "#rule-form details summary")  # "advanced", opened
    generated = await page.inner_text("#generated-condition")
    assert generated == f'"{category}" in purchase.categories'  # under "advanced"
    await fits(page)
    await page.screenshot(path=str(SCREENSHOTS / "console-rule-form.png"), full_page=True)
    await press_on(page, "button:has-text('Save the draft')")
    await page.wait_for_selector("text=Draft saved")
    said = " ".join((await page.inner_text("p.said")).split())
    assert said == (
        "Members get 1 point per 1 DKK spent on lines tagged organic for a purchase, when the "
        f"basket has {category}; at most 500 points a member a day."
    )
    assert "A new rule: nothing is in force yet." in await page.inner_text("main")
    await fits(page)

    # Simulate the purchase that arrived (picked from the recent events with the arrow keys).
    await page.wait_for_selector("#recent")
    await tab_to(page, "#recent")
    for _ in range(40):
        if member in await page.eval_on_selector("#recent", "s => s.selectedOptions[0].text"):
            break
        await page.keyboard.press("ArrowDown")
    await press_on(page, "button:has-text('Simulate')")
    await page.wait_for_selector("#simulation table")
    fired = page.locator("#simulation tbody tr", has_text=rule_id)
    assert await fired.locator("td").nth(2).inner_text() == "40"  # 40 kr organic: 1 a krone
    await press_on(page, "button:has-text('Replay over the last 30 days')")
    await page.wait_for_selector("#replay h3")
    replayed = " ".join((await page.inner_text("#replay")).split())
    assert "It would have given 40 points" in replayed
    await fits(page)
    await page.screenshot(path=str(SCREENSHOTS / "console-rule-draft.png"), full_page=True)

    # Scheduled a little ahead, confirmed.
    at = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
    await tab_to(page, "#effective_at")
    await page.keyboard.type(at.strftime("%Y-%m-%d %H:%M:%S"))
    await press_on(page, "button:has-text('Publish…')")
    await page.wait_for_selector("text=Yes, publish")
    assert f"in force from {at.strftime('%Y-%m-%d %H:%M:%S')} UTC" in " ".join(
        (await page.inner_text("main")).split()
    )
    await fits(page)
    await press_on(page, "button:has-text('Yes, publish')")
    await page.wait_for_selector(
        f"text=Version 1 is scheduled: in force from {at:%Y-%m-%d %H:%M} UTC"
    )
    await fits(page)
    await press_on(page, "nav a[href='/audit']")
    row = page.locator("tbody tr", has_text=rule_id).first
    assert "scheduled version 1" in " ".join((await row.inner_text()).split())
    assert "manager" in await row.inner_text()
    await fits(page)

    # Nothing under it before its time; after, a purchase earns what the form said.
    admin = {"X-API-Key": ADMIN_KEY}
    async with httpx.AsyncClient(timeout=10, headers=admin) as client:
        in_force = await client.get(f"{system.urls['rules']}/v1/rules")
        assert rule_id not in {r["spec"]["id"] for r in in_force.json()}

        async def simulated() -> int:
            body = farm_purchase(member, category, 99).model_dump(mode="json")
            answer = (await client.post(f"{system.urls['rules']}/v1/simulate", json=body)).json()
            return sum(a["points"] for a in answer["awards"] if a["rule_id"] == rule_id)

        await eventually(simulated, lambda p: p == 40, timeout=60, what="the rule in force")
    await system.send([farm_purchase(member, category, 2)])
    earned = await eventually(
        lambda: entries_of(system, member),
        lambda found: any(e["rule_id"] == rule_id for e in found),
        what="the new rule's points",
    )
    [entry] = [e for e in earned if e["rule_id"] == rule_id]
    assert (entry["points"], entry["explanation"]) == (40, "double points on organic")
    await page.close()
