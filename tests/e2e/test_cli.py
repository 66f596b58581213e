"""The `pointstream` command against the running system, as an operations team uses it."""

import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.apps import ALL_SCOPES_KEY, READER_KEY
from tests.e2e.system import System
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.kafka_helpers import produce
from tests.polling import eventually

pytestmark = pytest.mark.e2e


def pointstream(
    system: System, *args: str, key: str = ALL_SCOPES_KEY
) -> subprocess.CompletedProcess[str]:
    command = shutil.which("pointstream", path=str(Path(sys.executable).parent))
    assert command, "`pointstream` is installed with the project (make install)"
    env = {
        **os.environ,
        "POINTSTREAM_API_KEY": key,
        "KAFKA_BOOTSTRAP_SERVERS": system.kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": system.kafka.topic_prefix,
        "COLUMNS": "200",
        **{f"POINTSTREAM_{s.upper()}_URL": url for s, url in system.urls.items()},
    }
    return subprocess.run([command, *args], env=env, capture_output=True, text=True, timeout=120)


async def balance(system: System, member: str) -> dict[str, Any]:
    async with httpx.AsyncClient(headers={"X-API-Key": READER_KEY}) as client:
        r = await client.get(f"{system.urls['ledger']}/v1/members/{member}/balance")
        return dict(r.json()) if r.status_code == 200 else {}


async def test_members_imported_from_csv_are_welcomed_once_and_have_a_statement(
    system: System, tmp_path: Path
) -> None:
    members = [f"csv-{uuid.uuid4().hex[:6]}-{n}" for n in range(3)]
    sheet = tmp_path / "members.csv"
    sheet.write_text(
        "member_id,channel,language,birthday\n"
        + "".join(f"{m},pos,da,1990-0{n + 1}-15\n" for n, m in enumerate(members))
    )
    for _ in range(2):  # the same file twice: each enrolment has a fixed id
        done = pointstream(system, "members", "import", str(sheet))
        assert done.returncode == 0, done.stderr
        assert "3 member(s) sent for enrolment" in done.stdout
    # A purchase after the second import: once it shows, both imports were processed (in order).
    assert (await post(system, purchase(members[0], "10.00"))).status_code == 202
    await eventually(lambda: balance(system, members[0]), lambda b: b.get("pending") == 10)
    for member in members:
        welcomed = await eventually(partial(balance, system, member), bool)
        assert welcomed["available"] == 100, "welcomed once, not twice"

    done = pointstream(system, "statement", members[0])
    assert done.returncode == 0, done.stderr
    assert "available 100" in done.stdout
    assert "pending 10" in done.stdout
    assert "velkommen i klubben" in done.stdout  # her language, from the CSV

    unclear = tmp_path / "unclear.csv"
    unclear.write_text("member_id,email,email_consent\nx-1,x@example.dk,maybe\n")
    refused = pointstream(system, "members", "import", str(unclear))
    assert refused.returncode != 0
    assert "unclear.csv:2: email_consent must be true or false, not 'maybe'" in refused.stderr


async def test_rules_export_simulate_load_and_the_report(system: System, tmp_path: Path) -> None:
    exported = pointstream(system, "rules", "export")
    assert exported.returncode == 0, exported.stderr
    pack = yaml.safe_load(exported.stdout)
    base = next(r for r in pack["rules"] if r["id"] == "base-earn")

    event = tmp_path / "purchase.json"
    event.write_text(json.dumps(purchase(f"sim-{uuid.uuid4().hex[:6]}", "250.00")))
    simulated = pointstream(system, "simulate", str(event))
    assert simulated.returncode == 0, simulated.stderr
    assert "base-earn" in simulated.stdout
    assert "250 points" in simulated.stdout

    base["name"] = "Base earn rate (renamed by ops)"
    changed = tmp_path / "pack.yaml"
    changed.write_text(yaml.safe_dump(pack, allow_unicode=True))
    loaded = pointstream(system, "rules", "load", str(changed))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "1 rule(s) saved: base-earn"
    assert "renamed by ops" in pointstream(system, "rules", "export").stdout

    member = f"rep-{uuid.uuid4().hex[:6]}"
    before = json.loads(pointstream(system, "report", "--json").stdout)
    assert (
        await post(system, [purchase(member, "100.00"), purchase(member, "50.00")])
    ).status_code == 202
    await eventually(lambda: balance(system, member), lambda b: b.get("pending") == 150)
    after = json.loads(pointstream(system, "report", "--json").stdout)
    assert after["purchases"]["count"] - before["purchases"]["count"] == 2
    assert after["members"]["active"] - before["members"]["active"] == 1
    assert economic(after) - economic(before) == 150
    assert after["ledger"]["outstanding"] - before["ledger"]["outstanding"] == 150
    table = pointstream(system, "report")
    assert table.returncode == 0
    assert "liability value" in table.stdout


async def test_dead_letters_replay_and_the_ledger_rebuild(system: System) -> None:
    await produce(system.kafka, system.kafka.topics.events, b"{not json", key=b"poison")
    replayed = await eventually(
        lambda: _replay(system),
        lambda done: done.returncode == 0 and int(done.stdout.split()[0]) >= 1,
        timeout=30,
        interval=1,
        what="the poison was dead-lettered and sent back",
    )
    assert "dead letter(s) sent back" in replayed.stdout
    rebuilt = pointstream(system, "rebuild", "ledger")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 balance(s) rewritten" in rebuilt.stdout


def economic(report: dict[str, Any]) -> int:
    points: int = report["points"]["by_driver"].get("economic", {"points": 0})["points"]
    return points


async def _replay(system: System) -> subprocess.CompletedProcess[str]:
    return pointstream(
        system, "replay-dead-letters", "rules", "--group", f"{system.kafka.topic_prefix}rules"
    )


def test_bad_input_and_an_unreachable_service_are_one_clear_line(
    system: System, tmp_path: Path
) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text("id,colour\nx,blue\n")
    done = pointstream(system, "members", "import", str(sheet))
    assert done.returncode == 1
    assert "header must name member_id" in done.stderr
    assert "Traceback" not in done.stderr
    refused = pointstream(system, "rules", "export", key="not-a-key")
    assert refused.returncode == 1
    assert "401" in refused.stderr
    gone = subprocess.run(
        [sys.executable, "-m", "ops", "statement", "x"],
        env={**os.environ, "POINTSTREAM_LEDGER_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gone.returncode == 1
    assert "ledger is not reachable" in gone.stderr


async def test_a_members_data_is_exported_from_every_service_into_one_zip(
    system: System, tmp_path: Path
) -> None:
    """The right of access: `pointstream members export` gathers what each service holds."""
    member = f"gdpr-{uuid.uuid4().hex[:6]}"
    sheet = tmp_path / "member.csv"
    sheet.write_text(
        "member_id,channel,language,birthday,email,email_consent\n"
        f"{member},pos,sv,1985-04-02,{member}@example.se,true\n"
    )
    assert pointstream(system, "members", "import", str(sheet)).returncode == 0
    assert (await post(system, purchase(member, "42.00"))).status_code == 202
    await eventually(lambda: balance(system, member), lambda b: b.get("pending") == 42)

    archive = tmp_path / "export.zip"
    done = pointstream(system, "members", "export", member, "--out", str(archive))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(archive) as zipped:
        assert sorted(zipped.namelist()) == [
            "README.txt",
            "ledger.json",
            "notifications.json",
            "rules.json",
        ]
        files = {n: json.loads(zipped.read(n)) for n in zipped.namelist() if n.endswith(".json")}
        readme = zipped.read("README.txt").decode()
    assert member in readme
    assert {f["member_id"] for f in files.values()} == {member}
    [prefs] = files["notifications.json"]["preferences"]
    assert prefs["prefs"]["email"] == f"{member}@example.se"
    assert files["notifications.json"]["inbox"], "the welcome message"
    assert len(files["rules.json"]["purchases"]) == 1
    [state] = files["rules.json"]["state"]
    assert state["birthday_mmdd"] == "04-02"
    [books] = files["ledger.json"]["balance"]
    assert (books["available"], books["pending"]) == (100, 42)  # the welcome, the purchase
    assert {e["kind"] for e in files["ledger.json"]["entries"]} == {"earn"}
    assert sum(e["points"] for e in files["ledger.json"]["entries"]) == 142

    refused = pointstream(
        system, "members", "export", member, "--out", str(tmp_path / "x.zip"), key=READER_KEY
    )
    assert refused.returncode != 0
    assert "403" in refused.stderr
    assert not (tmp_path / "x.zip").exists(), "no half an export left behind"


async def test_a_member_id_with_a_path_in_it_erases_nobody_else(system: System) -> None:
    """`members erase 'alice/../bob'` once erased bob: ids are quoted into one path segment,
    and the API refuses an id that is not a member id."""
    bob = f"bob-{uuid.uuid4().hex[:6]}"
    assert (await post(system, purchase(bob, "20.00"))).status_code == 202
    await eventually(lambda: balance(system, bob), lambda b: b.get("pending") == 20)
    done = pointstream(system, "members", "erase", f"alice/../{bob}", "--yes", "--wait", "0")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (await balance(system, bob)).get("pending") == 20  # bob is still there
    async with httpx.AsyncClient(headers={"X-API-Key": ALL_SCOPES_KEY}) as client:
        dotted = await client.get(f"{system.urls['ledger']}/v1/members/a..b/balance")
    assert dotted.status_code == 422


def test_exchange_rates_are_set_loaded_and_listed(system: System, tmp_path: Path) -> None:
    assert pointstream(system, "rates", "set", "NOK", "2026-11-30", "0.6391").returncode == 0
    sheet = tmp_path / "rates.csv"
    sheet.write_text("currency,day,rate\nEUR,2026-11-30,7.4582\nSEK,2026-11-30,0.6602\n")
    loaded = pointstream(system, "rates", "load", str(sheet))
    assert loaded.returncode == 0, loaded.stderr
    assert "2 rate(s) set, in DKK" in loaded.stdout
    listed = pointstream(system, "rates", "list", "--since", "2026-11-30")
    assert all(f in listed.stdout for f in ("NOK", "0.6391", "EUR", "7.4582", "SEK"))
    sheet.write_text("currency,day,rate\nXXX,2026-11-30,1\nSEK,someday,-1\n")
    bad = pointstream(system, "rates", "load", str(sheet))
    assert bad.returncode == 1
    assert "'XXX' is not an ISO 4217" in bad.stderr
