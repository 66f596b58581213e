"""A manager finds a member (by id, email address or phone number), reads what the services
know of them and adjusts their points; a service that is down shows as down."""

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from tests.apps import POS_KEY, READER_KEY
from tests.e2e.console_helpers import (
    entries_of,
    ready,
    running_console,
    serious_violations,
    signed_in,
)
from tests.e2e.system import System, enrolment
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.infra import free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e


async def test_a_manager_looks_up_a_member_and_adjusts_their_points_with_a_reason(
    system: System, console: str, browser: Browser
) -> None:
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    member = f"lookup-{uuid.uuid4().hex[:6]}"
    assert (await post(system, purchase(member, "42.00"))).status_code == 202
    page = await signed_in(browser, console)
    await page.click("text=Members")
    await page.fill("#member", member)
    await page.click("button:has-text('Look up')")
    await page.wait_for_selector("text=Statement")
    assert "42.00 DKK" in await page.inner_text("main")  # the purchase's reason
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        tier = (await client.get(f"{system.urls['rules']}/v1/members/{member}/tier")).json()
    shown = " ".join((await page.inner_text("p.tier")).split())
    assert shown == (  # the tier and the way to the next, as the rules service has them
        f"Tier: {tier['tier'].capitalize()} · {tier['qualifying_points']:,} points earned in the"
        f" last 12 months · {tier['points_to_next_tier']:,} more for"
        f" {tier['next_tier'].capitalize()}"
    )
    assert await serious_violations(page) == []
    await page.fill("#points", "50")
    await page.fill("#reason", "sorry for the wait at the till")
    await page.click("button:has-text('Adjust')")
    assert "Tick the box to confirm the adjustment." in await page.inner_text("main")
    await page.fill("#points", "50")
    await page.fill("#reason", "sorry for the wait at the till")
    await page.check("input[name=confirmed]")
    await page.click("button:has-text('Adjust')")
    await page.wait_for_selector("text=Adjusted by +50 points: sorry for the wait at the till.")
    statement = await page.inner_text("main")
    assert "sorry for the wait at the till" in statement.split("Statement", 1)[1]
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        balance = (await client.get(f"{system.urls['ledger']}/v1/members/{member}/balance")).json()
    assert balance["available"] == 50
    await page.close()


async def test_a_service_that_is_down_shows_as_down_and_bad_input_is_named_on_the_page(
    system: System, browser: Browser, tmp_path: Path
) -> None:
    """A console whose notification service does not answer (nothing listens where it
    points): the pages that need it say so and show the rest; values a page cannot take are
    named on a page, never a stack trace."""
    member = f"down-{uuid.uuid4().hex[:6]}"
    assert (await post(system, purchase(member, "30.00"))).status_code == 202
    await eventually(lambda: entries_of(system, member), bool, what="the purchase booked")
    nowhere = f"http://127.0.0.1:{free_port()}"
    with running_console(system, tmp_path, CONSOLE_NOTIFICATIONS_URL=nowhere) as cut_off:
        await eventually(lambda: ready(cut_off), bool, timeout=30, what="the console")
        page = await signed_in(browser, cut_off)
        assert "Members" in await page.inner_text("section.cards")  # the dashboard works

        await page.goto(f"{cut_off}/members?member={member}")
        shown = await page.inner_text("main")
        assert "The notifications service is down" in shown
        assert "30.00 DKK" in shown  # the ledger's statement, still there
        assert "Tier: Base" in shown  # and the rules' part
        assert await serious_violations(page) == []

        await page.goto(f"{cut_off}/operations")
        cards = page.locator("section.cards .card")
        names = await cards.locator("h2").all_inner_texts()
        states = await cards.locator(".figure").all_inner_texts()
        assert dict(zip(names, states, strict=True)) == {
            "rules": "ready",
            "ledger": "ready",
            "notifications": "down",
        }

        # A reason the browser would refuse (its minlength taken off, as an old browser or a
        # script would send it): the page names the field and what is wrong.
        await page.goto(f"{cut_off}/members?member={member}")
        await page.evaluate("document.querySelector('#reason').removeAttribute('minlength')")
        await page.fill("#points", "5")
        await page.fill("#reason", "x")
        await page.check("input[name=confirmed]")
        await page.click("button:has-text('Adjust')")
        refused = await page.inner_text("main")
        assert "Not accepted: reason: String should have at least 3 characters" in refused
        assert "Traceback" not in refused
        await page.goto(f"{cut_off}/?days=many")
        assert "Not accepted: days: Input should be a valid integer" in await page.inner_text(
            "main"
        )
        await page.goto(f"{cut_off}/rules/base-earn/yaml")
        await page.fill("#event", "{not json")
        await page.click("button:has-text('Simulate')")
        error = await page.wait_for_selector("#simulation .error")
        assert error is not None
        assert "The event is not JSON" in await error.inner_text()
        await page.close()
    kept = await entries_of(system, member)
    assert kept  # the purchase's entries, read
    assert [e["explanation"] for e in kept if e["explanation"] == "x"] == []


async def search(system: System, key: str, **query: str) -> httpx.Response:
    by = next(iter(query), "email")
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": key}) as client:
        url = f"{system.urls['notifications']}/v1/members/by-{by}"
        return await client.get(url, params=query)


async def test_a_manager_finds_a_member_by_email_or_phone_and_the_search_is_logged(
    system: System, console: str, browser: Browser
) -> None:
    """The notification service, which holds how members are reached, answers with ids: the
    email address in any case, the phone number with or without spaces; only keys that may
    read members; each search logged with who searched, never the address."""
    member = f"frida-{uuid.uuid4().hex[:6]}"
    email = f"Frida.Lund.{member}@Example.org"
    await system.send([enrolment(member, email=email, phone="+45 20 30 40 50")])
    found = await eventually(
        lambda: search(system, READER_KEY, email=email.lower()),
        lambda r: r.status_code == 200 and r.json()["members"] == [member],
        what="the member found by email",
    )
    assert found.json() == {"members": [member]}
    by_phone = (await search(system, READER_KEY, phone="+4520304050")).json()["members"]
    assert member in by_phone
    assert (await search(system, POS_KEY, email=email)).status_code == 403  # a till may not
    refused = await search(system, READER_KEY, phone="20 30 40 50")
    assert refused.status_code == 422
    assert "international form" in refused.text
    assert (await search(system, READER_KEY)).status_code == 422  # an address is required
    log = system.logs["notifications"].read_text()
    assert "member search" in log
    assert email.lower() not in log.lower()
    assert "+4520304050" not in log

    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    page = await signed_in(browser, console)
    await page.goto(f"{console}/members")
    await page.fill("#member", email.upper())
    await page.press("#member", "Enter")  # the keyboard alone
    await page.wait_for_selector(f"h2:has-text('{member}')")
    await page.goto(f"{console}/members")
    await page.fill("#member", "+45 99 99 99 99")
    await page.press("#member", "Enter")
    assert "No member has the phone number +45 99 99 99 99." in await page.inner_text("main")
    assert await serious_violations(page) == []
    await page.close()


async def test_a_member_whose_id_is_an_email_address_is_found_by_it(
    system: System, console: str, browser: Browser
) -> None:
    """An id may be an email address: typed into the search, it finds the member by their
    address when they gave one, else by id; either way the member's page, never a loop."""
    member = f"ids-{uuid.uuid4().hex[:6]}@shop.example"
    assert (await post(system, purchase(member, "42.00"))).status_code == 202
    await eventually(lambda: entries_of(system, member), bool, what="the purchase booked")
    await eventually(lambda: ready(console), bool, timeout=30, what="the console")
    page = await signed_in(browser, console)
    await page.goto(f"{console}/members")
    await page.fill("#member", member)
    await page.press("#member", "Enter")
    await page.wait_for_selector("text=Statement")
    shown = await page.inner_text("main")
    assert f"No member has the email address {member}. Looked up as a member id." in shown
    assert "42.00 DKK" in shown
    await page.close()
    both = f"both-{uuid.uuid4().hex[:6]}@shop.example"  # the id, and the address given
    await system.send([enrolment(both, email=both)])
    await eventually(
        lambda: search(system, READER_KEY, email=both),
        lambda r: r.status_code == 200 and r.json()["members"] == [both],
        what="the member found by the address that is their id",
    )
    page = await signed_in(browser, console)
    await page.goto(f"{console}/members")
    await page.fill("#member", both)
    await page.press("#member", "Enter")
    await page.wait_for_selector(f"h2:has-text('{both}')")
    await page.close()
