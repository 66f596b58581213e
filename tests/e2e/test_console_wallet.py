"""The members' wallet in a real browser: signed in by a link, what they earned and why,
a redemption, and Swedish throughout for a Swedish member."""

import re
import subprocess
import sys
import uuid

import httpx
import pytest
from playwright.async_api import Browser

from tests.apps import READER_KEY
from tests.e2e.console_helpers import (
    SCREENSHOTS,
    entries_of,
    ready,
    serious_violations,
)
from tests.e2e.system import System, enrolment
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.polling import eventually

pytestmark = pytest.mark.e2e


async def test_a_member_signs_in_by_link_sees_why_they_earned_redeems_and_reads_swedish(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    member = f"wallet-{uuid.uuid4().hex[:6]}"
    await system.send([enrolment(member, language="da")])
    assert (await post(system, purchase(member, "80.00"))).status_code == 202
    booked = await eventually(
        lambda: entries_of(system, member), lambda found: len(found) >= 2, what="welcome, purchase"
    )
    linked = subprocess.run(
        [sys.executable, "-m", "ops", "wallet-link", member],
        env={
            **system.env,
            "POINTSTREAM_CONSOLE_URL": console,
            "COLUMNS": "2000",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    link = linked.stdout.strip()
    assert link.startswith(f"{console}/wallet/enter?token=")

    page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    await page.goto(link)  # a mail scanner opening it would stop here: only the button signs in
    assert await serious_violations(page) == []
    await page.click("button:has-text('Log ind')")  # the member's language, from enrolment
    await page.wait_for_url("**/wallet")
    assert await page.inner_text("h1") == "Dine point"
    shown = await page.inner_text("main")
    for entry in booked:  # each entry with its reason, as the ledger gave it
        assert entry["explanation"] in shown
    assert "Plant et træ" in shown
    assert "Niveau: Basis" in shown  # the tier's Danish name
    assert "til Sølv" in shown  # what the next tier takes
    assert "point kan bruges fra den" in shown  # the purchase's points, when they mature
    assert "point udløber den" in shown  # the welcome points' expiry
    assert await serious_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "wallet.png"), full_page=True)

    await page.click("button[aria-label='Indløs: Plant et træ']")
    code = await page.inner_text(".code")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert await page.inner_text("h1") == "Din kupon"
    assert await page.locator("#qr svg").count() == 1  # the code as a QR code for the till
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        vouchers = (
            await client.get(f"{system.urls['ledger']}/v1/members/{member}/vouchers")
        ).json()
    assert [v["code"] for v in vouchers] == [code]

    await page.click("text=Tilbage til dine point")
    await page.click("text=Svenska")
    assert await page.inner_text("h1") == "Dina poäng"
    assert "Plantera ett träd" in await page.inner_text("main")
    assert await page.get_attribute("html", "lang") == "sv"

    await page.click("text=Meddelanden och språk")
    await page.check("input[name='birthday.email']")
    await page.fill("input[name=quiet_start]", "22:00")
    await page.fill("input[name=quiet_end]", "07:00")
    assert await serious_violations(page) == []
    await page.click("button:has-text('Spara')")
    await page.wait_for_selector("text=Sparat.")
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        kept = (
            await client.get(f"{system.urls['notifications']}/v1/members/{member}/preferences")
        ).json()
    assert (kept["language"], kept["quiet_start"], kept["quiet_end"]) == (
        "sv",
        "22:00:00",
        "07:00:00",
    )
    assert "email" in kept["channels"]["birthday"]
    # Another site cannot sign the member out: without the page's token nothing happens.
    forged = await page.request.post(f"{console}/wallet/signout", max_redirects=0)
    assert forged.status == 303
    await page.goto(f"{console}/wallet")
    assert await page.inner_text("h1") == "Dina poäng"
    await page.close()

    # The link works once: opened again (a forwarded mail), its button says it was used.
    again = await browser.new_page()
    await again.goto(link)
    await again.click("button[type=submit]")
    assert "Länken har redan använts." in await again.inner_text("main")  # she chose Swedish
    await again.close()

    stranger = await browser.new_page()
    await stranger.goto(f"{console}/wallet/enter?token=not.a.token")
    assert "This sign-in link is not valid or has expired." in await stranger.inner_text("main")
    await stranger.close()
