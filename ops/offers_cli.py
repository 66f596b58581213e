"""`pointstream audiences` and `pointstream offers`: who is in which audience, offers saved
from a file, a draft replayed over recent history, and whether an offer worked."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from ops.calls import call, err, fail, out

audiences_app = typer.Typer(help="Audiences: list, save, preview, export.", no_args_is_help=True)
offers_app = typer.Typer(help="Offers: list, save, replay a draft, lift.", no_args_is_help=True)
Spec = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON; - stdin")]


def _document(path: Path) -> dict[str, Any]:
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        fail(f"{path} is not YAML or JSON: {exc}")
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        fail(f"{path}: expected one document with an id")
    return found


@audiences_app.command("list")
def audiences_list() -> None:
    """Every audience, with how many members are in it now."""
    table = Table()
    for column in ("audience", "members", "condition"):
        table.add_column(column)
    for a in call("GET", "rules", "/v1/audiences").json():
        table.add_row(a["spec"]["id"], f"{a['members']:,}", a["spec"]["condition"])
    out.print(table)


@audiences_app.command("save")
def audiences_save(spec: Spec) -> None:
    """Save an audience (its next version) and move every member now."""
    document = _document(spec)
    saved = call("PUT", "rules", f"/v1/audiences/{document['id']}", json=document).json()
    moved = call("POST", "rules", "/v1/audiences/refresh", timeout=600).json()["moved"]
    out.print(f"{document['id']}: version {saved['version']}; {moved} member(s) moved")


@audiences_app.command("preview")
def audiences_preview(condition: str) -> None:
    """How many members a condition takes now (nothing saved)."""
    found = call("POST", "rules", "/v1/audiences/preview", json={"condition": condition}).json()
    if not found["ok"]:
        fail(found["error"])
    out.print(f"{found['count']:,} of {found['members']:,} members; e.g. {found['sample']}")


@audiences_app.command("export")
def audiences_export(audience_id: str) -> None:
    """The audience's member ids as CSV on stdout (the export is logged by the service)."""
    sys.stdout.write(call("GET", "rules", f"/v1/audiences/{audience_id}/members.csv").text)


@offers_app.command("list")
def offers_list() -> None:
    """Every offer, with the members it reached, treated and control."""
    table = Table()
    for column in ("offer", "audience", "treated", "control", "activation"):
        table.add_column(column)
    for o in call("GET", "rules", "/v1/offers").json():
        s, reached = o["spec"], o["members"]
        table.add_row(
            s["id"],
            s["audience"],
            str(reached.get("treated", 0)),
            str(reached.get("control", 0)),
            s["activation"],
        )
    out.print(table)


@offers_app.command("save")
def offers_save(spec: Spec) -> None:
    """Save an offer (its next version); its audience's members get it now."""
    document = _document(spec)
    saved = call("PUT", "rules", f"/v1/offers/{document['id']}", json=document).json()
    call("POST", "rules", "/v1/audiences/refresh", timeout=600)
    out.print(f"{document['id']}: version {saved['version']}")


@offers_app.command("replay")
def offers_replay(
    spec: Spec,
    days: Annotated[int, typer.Option(help="days of history")] = 30,
    rule: Annotated[bool, typer.Option("--rule", help="the file is a rule, not an offer")] = False,
) -> None:
    """What a draft offer (or, with --rule, a rule) would have cost over the last days."""
    document = _document(spec)
    kind = "rules" if rule else "offers"
    found = call(
        "POST",
        "rules",
        f"/v1/{kind}/{document['id']}/replay",
        params={"days": days},
        json=document,
        timeout=600,
    ).json()
    out.print(json.dumps({k: found[k] for k in ("draft", "live", "difference", "tier_moves")}))
    err.print(f"{found['events']:,} events in {found['seconds']} s")


@offers_app.command("lift")
def offers_lift(offer_id: str) -> None:
    """Treated against control: per member, with the difference and its 95 % interval."""
    found = call("GET", "rules", f"/v1/offers/{offer_id}/lift").json()
    table = Table(
        title=f"{offer_id}: {found['groups']['treated']['members']} treated, "
        f"{found['groups']['control']['members']} control"
    )
    for column in ("per member", "treated", "control", "difference", "95 % interval"):
        table.add_column(column)
    for key, figures in found["lift"].items():
        low, high = figures["low"], figures["high"]
        table.add_row(
            key.replace("_", " "),
            _number(found["groups"]["treated"][key]),
            _number(found["groups"]["control"][key]),
            _number(figures["difference"]),
            "-" if low is None else f"{low:+.3f} to {high:+.3f}",
        )
    out.print(table)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
