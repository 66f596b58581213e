"""Tables a manager can work with, in Chromium: the rules sorted by a header (a button,
announced with aria-sort) and narrowed by a filter; the members sorted and narrowed by the
ledger, a page at a time; and no page of the console reaches beyond 1,280 px."""

import uuid
from functools import partial

import pytest
from playwright.async_api import Browser

from tests.apps import MANAGER_KEY
from tests.e2e.console_helpers import entries_of, fits, ready
from tests.e2e.system import System
from tests.e2e.test_console_rules import farm_purchase
from tests.polling import eventually

pytestmark = pytest.mark.e2e


async def test_tables_sort_filter_and_page_and_no_page_is_wider_than_1280_px(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    run = uuid.uuid4().hex[:6]
    members = [f"tbl-{run}-{n}" for n in range(3)]
    await system.send([farm_purchase(m, f"farm-{run}", 1) for m in members])
    for m in members:
        await eventually(partial(entries_of, system, m), bool, what="the purchases")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{console}/login")
    await page.fill("#key", MANAGER_KEY)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Signed in as")
    for path in (
        "/",
        "/rules",
        "/rules/new",
        "/rules/dairy-double",
        "/rules/dairy-double/edit",
        "/rules/dairy-double/yaml",
        "/audiences",
        "/offers",
        "/challenges",
        "/ladder",
        "/partners",
        "/program",
        "/program/rewards/new",
        "/rates",
        "/members",
        "/audit",
        "/operations",
    ):
        await page.goto(f"{console}{path}")
        await fits(page)

    # The rules: sorted by a header (a button, announced), narrowed by a filter.
    await page.goto(f"{console}/rules")
    header = page.locator("th", has_text="Points, 30 days")
    await header.locator("button").click()
    await header.locator("button").click()
    assert await header.get_attribute("aria-sort") == "descending"
    shown = await page.eval_on_selector_all(
        "table[data-table=rules] tbody tr:not([hidden]) td:nth-child(6)",
        "cells => cells.map(c => Number(c.dataset.value))",
    )
    assert shown == sorted(shown, reverse=True)
    assert shown[0] > 0
    await page.fill("#filter-0", "dairy")
    visible = await page.locator("table[data-table=rules] tbody tr:not([hidden])").all_inner_texts()
    assert visible
    assert all("dairy" in text.lower() for text in visible)

    # The members: the ledger sorts and counts; the id's start narrows them.
    await page.goto(f"{console}/members?prefix=tbl-{run}-")
    assert "All members with points (3)" in await page.inner_text("main")
    await page.click("th >> text=Member")  # sorted by id, descending first
    await page.click("th >> text=Member")
    ids = await page.locator("tbody tr td:first-child").all_inner_texts()
    assert ids == sorted(members)
    assert await page.get_attribute("th:has-text('Member')", "aria-sort") == "ascending"
    await fits(page)
    await page.close()
