"""`pointstream rates`: the program's exchange rates, for purchases in other currencies."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ops.calls import call, fail, out

rates_app = typer.Typer(
    help="Exchange rates: the program's currency for one unit of another, by day.",
    no_args_is_help=True,
)


@rates_app.command("set")
def rates_set(
    currency: Annotated[str, typer.Argument(help="ISO 4217, e.g. SEK")],
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    rate: Annotated[str, typer.Argument(help="the program's currency for one unit, e.g. 0.6602")],
) -> None:
    """Set (or correct) one currency's rate for one day (0.6602 or 0,6602)."""
    rate = rate.strip().replace(",", ".")
    body = {"rates": [{"currency": currency.upper(), "day": day, "rate": rate}]}
    answer = call("PUT", "rules", "/v1/exchange-rates", json=body).json()
    out.print(f"1 {currency.upper()} = {rate} {answer['program_currency']} on {day}")


@rates_app.command("load")
def rates_load(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a CSV file")],
) -> None:
    """Load a CSV: lines of currency,day,rate, or a central bank's daily reference rates in
    the European Central Bank's layout (Date,USD,JPY,...: units per euro)."""
    answer = call(
        "POST",
        "rules",
        "/v1/exchange-rates/csv",
        content=path.read_bytes(),
        headers={"Content-Type": "text/csv"},
    ).json()
    out.print(f"{answer['set']} rate(s) set, in {answer['program_currency']}")


@rates_app.command("list")
def rates_list(
    currency: Annotated[str | None, typer.Option(help="only this currency")] = None,
    since: Annotated[str | None, typer.Option(help="from this day, YYYY-MM-DD")] = None,
) -> None:
    """The rates, newest day first."""
    params = {k: v for k, v in {"currency": currency, "from": since}.items() if v}
    try:
        date.fromisoformat(since or "2000-01-01")
    except ValueError:
        fail(f"--since {since!r} is not a day (YYYY-MM-DD)")
    answer = call("GET", "rules", "/v1/exchange-rates", params=params).json()
    table = Table(title=f"in {answer['program_currency']} for one unit")
    for column in ("day", "currency", "rate", "set by"):
        table.add_column(column)
    for r in answer["rates"]:
        table.add_row(r["day"], r["currency"], r["rate"], r["set_by"])
    out.print(table)
