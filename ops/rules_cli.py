"""`pointstream rules` and `pointstream simulate`: the rule pack, and what an event would earn."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ops.calls import call, err, fail, out

rules_app = typer.Typer(help="The rule pack: export it, load it.", no_args_is_help=True)


@rules_app.command("export")
def rules_export(
    to: Annotated[
        Path | None, typer.Option("--out", help="file to write; stdout if omitted")
    ] = None,
) -> None:
    """Write the rule pack in force (tiers and newest rule versions) as YAML."""
    text = call("GET", "rules", "/v1/rules.yaml").text
    if to is None:
        sys.stdout.write(text)
    else:
        to.write_text(text)
        err.print(f"wrote {to}")


@rules_app.command("load")
def rules_load(pack: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load a rule pack; each changed rule gets a new version, in force within seconds."""
    saved = call(
        "PUT",
        "rules",
        "/v1/rules.yaml",
        content=pack.read_bytes(),
        headers={"Content-Type": "application/yaml"},
    ).json()["saved"]
    out.print(f"{len(saved)} rule(s) saved" + (f": {', '.join(saved)}" if saved else ""))


def simulate(
    event: Annotated[Path, typer.Argument(help="a CloudEvent as JSON; - reads stdin")],
) -> None:
    """What an event would earn its member now, and why; nothing is written."""
    text = sys.stdin.read() if str(event) == "-" else event.read_text()
    try:
        body = json.loads(text)
    except ValueError as exc:
        fail(f"the event is not JSON: {exc}")
    result = call("POST", "rules", "/v1/simulate", json=body).json()
    table = Table(title=f"{result['member_id']}: {result['points']} points")
    for column in ("rule", "driver", "points", "why"):
        table.add_column(column)
    for award in result["awards"]:
        table.add_row(award["rule_id"], award["driver"], str(award["points"]), award["explanation"])
    out.print(table)
    if result["revoked_points"]:
        out.print(f"takes back {result['revoked_points']} points")
