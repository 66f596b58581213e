"""What the console's browser tests share: a console process, Chromium, a few days of a
program for the dashboard, and axe-core's verdict on a page."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page

from tests.apps import ADMIN_KEY, MANAGER_KEY, READER_KEY
from tests.e2e.system import System
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.infra import REPO, free_port
from tests.polling import eventually

AXE = REPO / "deploy/console/node_modules/axe-core/axe.min.js"
SCREENSHOTS = REPO / "docs/screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

FIXED = """id: base-earn
name: Base earn rate
driver: economic
events: [purchase.completed]
condition: event.weekday >= 1
effect: {type: points_per_amount, points: 2, per: 1, rounding: floor}
pending_days: 14
explanation:
  en: "2 points per $currency spent ($amount $currency)"
  da: "2 point pr. $currency ($amount $currency)"
  sv: "2 poäng per $currency ($amount $currency)"
"""
BROKEN = FIXED.replace("condition: event.weekday >= 1", "condition: event.weekday >= ")


@contextmanager
def running_console(system: System, logs: Path, **settings: str) -> Iterator[str]:
    """A console process on a free port, talking to the system's services (or, by
    ``settings``, elsewhere); its log's tail is shown when it stops."""
    port = free_port()
    log = logs / f"console-{port}.log"
    env = {
        **system.env,
        "CONSOLE_PORT": str(port),
        "CONSOLE_RULES_URL": system.urls["rules"],
        "CONSOLE_LEDGER_URL": system.urls["ledger"],
        "CONSOLE_NOTIFICATIONS_URL": system.urls["notifications"],
        **settings,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.console", "serve"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        sys.stderr.write(log.read_text()[-3000:])


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{url}/healthz")).status_code == 200
    except httpx.TransportError:
        return False


async def entries_of(system: System, member: str) -> list[dict[str, Any]]:
    """The member's ledger entries, newest first (none while the ledger knows no such member)."""
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        r = await client.get(f"{system.urls['ledger']}/v1/members/{member}/entries")
    found: list[dict[str, Any]] = r.json()["entries"] if r.status_code == 200 else []
    return found


async def a_few_days_of_a_program(system: System) -> None:
    """Purchases (new and returning buyers, several categories) and NPS answers over the last
    five days (each but the first with new and returning buyers), for a dashboard."""
    now = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    for n in range(24):
        member = f"shop-{n % 9}"
        bought = purchase(member, f"{60 + 37 * (n % 7)}.00")
        bought["time"] = (now - timedelta(days=n % 5, hours=1)).isoformat()
        category = ("dairy", "bakery", "produce", "pantry")[n % 4]
        bought["data"]["lines"] = [
            {
                "sku": f"s{n}",
                "category": category,
                "quantity": 1,
                "unit_price": bought["data"]["total"],
            }
        ]
        events.append(bought)
    for n, score in enumerate((10, 9, 9, 8, 6, 10)):
        answer = purchase(f"shop-{n}", "1.00")
        answer |= {"type": "member.activity", "data": {"activity": "nps_answer", "score": score}}
        events.append(answer)
    assert (await post(system, events)).status_code == 202
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": ADMIN_KEY}) as client:

        async def report() -> dict[str, Any]:
            found: dict[str, Any] = (await client.get(f"{system.urls['rules']}/v1/report")).json()
            return found

        await eventually(
            report,
            lambda r: r["purchases"]["count"] == 24 and r["loyalty"]["nps"]["answers"] == 6,
            what="the program's days decided",
        )


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's findings on the page that are serious or critical."""
    await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run()).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"""
    )
    return found


async def signed_in(browser: Browser, console: str, key: str = MANAGER_KEY) -> Page:
    """A page of the console, signed in as the manager (or with ``key``)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{console}/login")
    await page.fill("#key", key)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Signed in as")
    return page


def wallet_link(system: System, console: str, member: str) -> str:
    """The member's sign-in link, as `pointstream wallet-link MEMBER` prints it."""
    linked = subprocess.run(
        [sys.executable, "-m", "ops", "wallet-link", member],
        env={**system.env, "POINTSTREAM_CONSOLE_URL": console, "COLUMNS": "2000"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return linked.stdout.strip()


async def on_a_phone(browser: Browser, link: str, sign_in: str) -> Page:
    """The wallet on a phone-sized page, signed in by the link (``sign_in``: the button's
    words in the member's language)."""
    phone = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone.goto(link)
    await phone.click(f"button:has-text('{sign_in}')")
    await phone.wait_for_url("**/wallet")  # signed in: the redirect to the wallet has loaded
    return phone


async def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until ``selector`` has the focus: what a keyboard user does (it fails if the
    element cannot be reached by Tab)."""
    target = page.locator(selector).first
    for _ in range(limit):
        if await target.evaluate("e => e === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached by Tab in {limit} presses")


async def press_on(page: Page, selector: str, key: str = "Enter") -> None:
    await tab_to(page, selector)
    await page.keyboard.press(key)


async def fits(page: Page) -> None:
    """Nothing wider than the window (1,280 px), and no serious accessibility violation."""
    await page.wait_for_load_state("load")
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"{page.url} is {width} px wide"
    beyond = await page.evaluate(
        """() => {
            const main = document.querySelector("main").getBoundingClientRect().right;
            const out = [...document.querySelectorAll("main *, .table-wrap")].filter(e =>
                e.getBoundingClientRect().right > main + 1 || e.scrollWidth > e.clientWidth + 1
                    && getComputedStyle(e).overflowX !== "visible" && e.tagName !== "TEXTAREA");
            return out.slice(0, 3).map(e => e.tagName + "." + e.className);
        }"""
    )
    assert beyond == [], f"{page.url}: {beyond} reach beyond the page's main column"
    assert await serious_violations(page) == []
