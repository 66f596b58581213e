"""`pointstream`: the operations team's command line, against a running system.

It speaks the services' HTTP APIs (and Kafka, for dead letters), with an admin API key:
``POINTSTREAM_API_KEY`` (default ``dev-key``), ``POINTSTREAM_RULES_URL``,
``POINTSTREAM_LEDGER_URL``, ``POINTSTREAM_NOTIFICATIONS_URL`` (default the `make run` ports).
Every failure is one line on stderr and a non-zero exit status.
"""

import typer

from ops.members_cli import members_app, statement, wallet_link
from ops.offers_cli import audiences_app, offers_app
from ops.rates_cli import rates_app
from ops.rules_cli import rules_app, simulate
from ops.upkeep_cli import rebuild, replay_dead_letters, report

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(rules_app, name="rules")
app.add_typer(members_app, name="members")
app.add_typer(rates_app, name="rates")
app.add_typer(audiences_app, name="audiences")
app.add_typer(offers_app, name="offers")
app.command()(simulate)
app.command()(statement)
app.command("wallet-link")(wallet_link)
app.command("replay-dead-letters")(replay_dead_letters)
app.command()(rebuild)
app.command()(report)


def main() -> None:
    app()
