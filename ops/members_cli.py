"""`pointstream members` (import, export, erase), `statement` and `wallet-link`: one member or
many, as the operations team handles them."""

import csv
import os
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import Progress
from rich.table import Table

from ops.calls import SERVICES, call, client, err, fail, out, path_segment, url
from shared.auth import Authenticator
from shared.settings import AuthSettings

members_app = typer.Typer(help="Members: import them, export or erase one.", no_args_is_help=True)
ENROLMENT_COLUMNS = (
    "member_id",
    "channel",
    "language",
    "birthday",
    "timezone",
    "email",
    "push_token",
    "email_consent",
    "push_consent",
)
_YES, _NO = {"true", "yes", "1", "ja"}, {"false", "no", "0", "nej", ""}


def statement(
    member: str,
    limit: Annotated[int, typer.Option(help="newest entries to show", min=1)] = 50,
) -> None:
    """A member's balance and newest ledger entries."""
    balance = call("GET", "ledger", f"/v1/members/{path_segment(member)}/balance").json()
    out.print(
        f"[bold]{member}[/bold]  available {balance['available']}  pending {balance['pending']}"
        f"  held {balance['held']}  lifetime earned {balance['lifetime_earned']}"
        f"  redeemed {balance['lifetime_redeemed']}"
    )
    table = Table()
    for column in ("when", "kind", "points", "available after", "why"):
        table.add_column(column)
    cursor: str | None = None
    shown = 0
    while shown < limit:
        params: dict[str, Any] = {"limit": min(100, limit - shown)}
        if cursor:
            params["cursor"] = cursor
        page = call(
            "GET", "ledger", f"/v1/members/{path_segment(member)}/entries", params=params
        ).json()
        for entry in page["entries"]:
            table.add_row(
                entry["recorded_at"][:19],
                entry["kind"],
                str(entry["points"]),
                str(entry["available_after"]),
                entry["explanation"],
            )
            shown += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    out.print(table)


def enrolments(path: Path) -> Iterator[dict[str, Any]]:
    """member.enrolled events from a CSV with a header row; a bad row stops the import with
    its line number before anything is sent."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        unknown = set(reader.fieldnames or ()) - set(ENROLMENT_COLUMNS)
        if "member_id" not in (reader.fieldnames or ()) or unknown:
            fail(
                f"{path}: the header must name member_id and only {', '.join(ENROLMENT_COLUMNS)}"
                + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
            )
        for line, row in enumerate(reader, start=2):
            member = (row.pop("member_id") or "").strip()
            if not member:
                fail(f"{path}:{line}: member_id is empty")
            consents = {}
            for channel in ("email", "push"):
                given = (row.pop(f"{channel}_consent", None) or "").strip().lower()
                if given not in _YES | _NO:
                    fail(f"{path}:{line}: {channel}_consent must be true or false, not {given!r}")
                consents[channel] = given in _YES
            data: dict[str, Any] = {k: v.strip() for k, v in row.items() if v and v.strip()}
            data.setdefault("channel", "pos")
            data["consents"] = consents  # only what the file says yes to
            yield {
                "specversion": "1.0",
                "id": f"import-{uuid.uuid5(uuid.NAMESPACE_URL, f'enrol:{member}')}",
                "source": "ops/pointstream-cli",
                "type": "member.enrolled",
                "time": datetime.now(UTC).isoformat(),
                "subject": member,
                "data": data,
            }


@members_app.command("import")
def members_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, header row")],
    batch: Annotated[int, typer.Option(min=1, max=500)] = 200,
) -> None:
    """Enrol members from a CSV (member_id, channel, language, birthday, timezone, email).

    Each member's enrolment has a fixed event id, so importing the same file twice enrols (and
    welcomes) nobody twice."""
    events = list(enrolments(csv_file))
    with Progress(console=err) as progress:
        task = progress.add_task("enrolling", total=len(events))
        for first in range(0, len(events), batch):
            chunk = events[first : first + batch]
            call("POST", "rules", "/v1/events", json=chunk)
            progress.advance(task, len(chunk))
    out.print(f"{len(events)} member(s) sent for enrolment")


EXPORT_README = """What pointstream holds about member {member}, exported {at}.

Each file is one service's data, as JSON (the service, the member, when, then one array of
rows per kind of data it keeps):

- rules.json: the member's state as the rules keep it (tier, purchase counts, birthday,
  language, categories bought), each purchase as recorded (paid, returned, points per rule),
  and the ids, types and times of the member's events processed.
- ledger.json: the balance and tier, every ledger entry (each point earned, matured, spent,
  expired, adjusted: with its reason), every operation, lot, redemption and voucher.
- notifications.json: the member's preferences (language, timezone, email, push token,
  consents, quiet hours), every inbox message, every email and push delivery.
"""


@members_app.command("export")
def members_export(
    member: Annotated[str, typer.Argument(help="the member id")],
    out_path: Annotated[Path, typer.Option("--out", help="the zip file to write")],
) -> None:
    """Everything pointstream holds about one member, from the three services, in one zip
    (right of access and portability). Each service's document is streamed into the archive
    as it arrives: no history is held whole in memory."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        _export_into(out_path, member, at)
    except (typer.Exit, httpx.HTTPError):
        out_path.unlink(missing_ok=True)  # no half an export left behind
        raise
    out.print(f"{member}: {out_path} (rules.json, ledger.json, notifications.json, README.txt)")


def _export_into(out_path: Path, member: str, at: str) -> None:
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", EXPORT_README.format(member=member, at=at))
        for service in SERVICES:
            path = f"/v1/members/{path_segment(member)}/export"
            try:
                with client() as http, http.stream("GET", f"{url(service)}{path}") as answer:
                    if answer.status_code >= 400:
                        answer.read()
                        call("GET", service, path)  # the same refusal, said clearly
                    with archive.open(f"{service}.json", "w") as entry:
                        for chunk in answer.iter_bytes():
                            entry.write(chunk)
            except httpx.TransportError as exc:
                fail(f"{service} is not reachable at {url(service)} ({exc.__class__.__name__})")


@members_app.command("erase")
def members_erase(
    member: Annotated[str, typer.Argument(help="the member id")],
    yes: Annotated[bool, typer.Option("--yes", help="confirm: this cannot be undone")] = False,
    wait: Annotated[
        float, typer.Option(help="seconds to wait for every service to confirm (0: do not)")
    ] = 60,
) -> None:
    """Forget a member in every service (right to erasure). Their personal data is deleted;
    the ledger's books stay exact under an opaque key; later events for them are refused."""
    if not yes:
        fail(f"erasing {member} cannot be undone: run again with --yes")
    asked = call("POST", "rules", f"/v1/members/{path_segment(member)}/erasure").json()
    out.print(f"{member}: erasure {asked['status']} (event {asked['erasure_event_id']})")
    if wait <= 0:
        return
    deadline = time.monotonic() + wait
    pending = list(SERVICES)
    while pending:
        pending = [
            s
            for s in pending
            if not call("GET", s, f"/v1/members/{path_segment(member)}/erasure").json()["erased"]
        ]
        if pending and time.monotonic() > deadline:
            fail(f"not yet confirmed after {wait:g}s by: {', '.join(pending)} (it will be done)")
        if pending:
            time.sleep(0.5)
    out.print(f"{member}: erased in {', '.join(SERVICES)}")


def wallet_link(
    member: Annotated[str, typer.Argument(help="the member id")],
    minutes: Annotated[int, typer.Option(min=1, max=60, help="how long the link works")] = 15,
) -> None:
    """A short-lived sign-in link to the member's wallet, for trying it out: a member token
    signed with AUTH_MEMBER_TOKEN_SECRET (in production the retailer's app or identity
    provider issues the tokens)."""
    token = Authenticator(AuthSettings()).issue_member_token(member, ttl_seconds=60 * minutes)
    console = os.environ.get("POINTSTREAM_CONSOLE_URL", "http://127.0.0.1:8000").rstrip("/")
    out.print(f"{console}/wallet/enter?token={token}", soft_wrap=True, highlight=False)
