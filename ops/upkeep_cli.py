"""`pointstream replay-dead-letters`, `rebuild` and `report`: the system's upkeep, and the
program's figures."""

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from ops.calls import SERVICES, call, fail, out


def replay_dead_letters(
    service: Annotated[str, typer.Argument(help="rules, ledger or notifications")],
    group: Annotated[
        str | None, typer.Option(help="the service's consumer group; default pointstream-<service>")
    ] = None,
) -> None:
    """Send a service's dead letters back to their topics, once, after a fix; an erased
    member's are skipped (through the rules service, which knows whom it erased)."""
    if service not in SERVICES:
        fail(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    answer = call(
        "POST",
        "rules",
        "/v1/admin/dead-letters/replay",
        params={"group": group or f"pointstream-{service}"},
        timeout=120,
    ).json()
    out.print(f"{answer['replayed']} dead letter(s) sent back")


def rebuild(
    service: Annotated[str, typer.Argument(help="ledger: balances from the entries")],
) -> None:
    """Rebuild a service's read models from its own append-only entries."""
    if service != "ledger":
        fail("only the ledger keeps read models derived from its own entries")
    result = call("POST", "ledger", "/v1/admin/rebuild-balances").json()
    out.print(
        f"{result['members']} member(s) checked, {result['rebuilt']} balance(s) rewritten"
        f" from {result['entries']} entries"
    )


def report(
    days: Annotated[int, typer.Option(min=1, max=3660, help="the period, up to today")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """The program report: liability, breakage, points and cost by driver and campaign, active
    members, repeat purchases, basket and frequency."""
    data = call("GET", "rules", "/v1/report", params={"days": days}).json()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(render_report(data))


def render_report(data: dict[str, Any]) -> Table:
    money = data["currency"]
    table = Table(title=f"pointstream program report, {data['from'][:10]} to {data['to'][:10]}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    m, p, pts = data["members"], data["purchases"], data["points"]
    rows = [
        ("members known / active", f"{m['known']:,} / {m['active']:,}"),
        ("repeat-purchase rate", f"{m['repeat_purchase_rate']:.1%}"),
        ("purchases / revenue", f"{p['count']:,} / {p['revenue']} {money}"),
        ("average basket", f"{p['average_basket']} {money}"),
        ("purchases per active member", f"{p['per_active_member']:.2f}"),
        ("points awarded / taken back", f"{pts['awarded']:,} / {pts['revoked']:,}"),
        ("cost of points awarded", f"{pts['cost']} {money}"),
    ]
    rows += [
        (f"  {driver}", f"{v['points']:,} pts, {v['cost']} {money}")
        for driver, v in pts["by_driver"].items()
    ]
    rows += [
        (f"  campaign {c['rule_id']}", f"{c['points']:,} pts, {c['cost']} {money}")
        for c in pts["by_campaign"]
    ]
    rows += _loyalty_rows(data["loyalty"], money)
    ledger = data.get("ledger")
    if ledger:
        rows += [
            ("outstanding points (liability)", f"{ledger['outstanding']:,}"),
            ("liability value", f"{ledger['liability_value']} {money}"),
            ("breakage (expired / earned)", f"{ledger['breakage_rate']:.1%}"),
        ]
    else:
        rows.append(("ledger figures", "unavailable: " + str(data.get("ledger_error", "?"))))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _loyalty_rows(loyalty: dict[str, Any], money: str) -> list[tuple[str, str]]:
    nps, engaged, breadth = loyalty["nps"], loyalty["engagement"], loyalty["category_breadth"]
    score = "no answers" if nps["score"] is None else f"{nps['score']:+d}"
    rows = [
        (
            "NPS (promoters / passives / detractors)",
            f"{score} ({nps['promoters']} / {nps['passives']} / {nps['detractors']})",
        ),
        (
            "engaged beyond buying",
            f"{engaged['rate']:.1%} of {engaged['active_members']:,} active",
        ),
        (
            "members buying in 1 / 2 / 3+ categories",
            f"{breadth['1']:,} / {breadth['2']:,} / {breadth['3+']:,}",
        ),
    ]
    rows += [
        (f"  CLV {t['tier']}", f"{t['clv']} {money} ({t['active_members']:,} active)")
        for t in loyalty["clv_by_tier"]
    ]
    return rows
