"""The chaos run's plan (#33): a seed is the same workload and the same fault schedule every
time, different seeds differ; the workload is one ingest takes (returns of what is left of
earlier purchases, nothing after a member's erasure, every kind and every route); the schedule
has one broker and one database outage at a time, and ends before the workload does."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from chaos.acts import Window
from chaos.faults import schedule
from chaos.held import erased_pattern, sent_again_unexplained
from chaos.workload import ROUTES, WEIGHTS, workload
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import parse_inbound
from tests.infra import REPO

START = datetime(2026, 12, 1, 12, tzinfo=UTC)


def steps(seed: int, events: int = 5000) -> list:  # type: ignore[type-arg]
    return list(workload(seed, events=events, members=100, start=START))


def test_a_seed_is_the_same_plan_and_another_seed_another() -> None:
    assert steps(11) == steps(11)
    assert steps(11) != steps(12)
    assert schedule(11, seconds=300, faults=8) == schedule(11, seconds=300, faults=8)
    assert schedule(11, seconds=300, faults=8) != schedule(12, seconds=300, faults=8)


def test_every_message_is_one_ingest_takes_and_every_kind_and_route_is_drawn() -> None:
    drawn = steps(3, 2000)
    assert set(Counter(s.kind for s in drawn)) == set(WEIGHTS)
    assert set(Counter(s.route for s in drawn)) == set(ROUTES)
    for step in drawn:
        if step.message.get("specversion"):
            event = CloudEvent.model_validate(step.message)
            parse_inbound(event)  # raises PayloadError on a payload ingest would refuse


def test_returns_never_exceed_what_was_bought_and_the_erased_receive_nothing_after() -> None:
    bought: dict[str, Counter[str]] = {}
    erased: set[str] = set()
    for step in steps(5, 20_000):
        if step.member in erased and step.kind != "duplicate":
            raise AssertionError(f"step {step.number} for {step.member}, erased before")
        if step.kind == "erasure":
            erased.add(step.member)
        elif step.kind == "purchase":
            bought[step.message["id"]] = Counter(
                {ln["sku"]: ln["quantity"] for ln in step.message["data"]["lines"]}
            )
        elif step.kind == "return":
            data = step.message["data"]
            left = bought[data["original_event_id"]]
            for line in data["lines"]:
                assert line["quantity"] <= left[line["sku"]], f"step {step.number} returns more"
                left[line["sku"]] -= line["quantity"]
            assert Decimal(data["amount"]) > 0
        elif step.kind == "duplicate":
            assert step.message["subject"] not in erased


def test_the_schedule_has_one_broker_and_one_database_outage_at_a_time_and_ends_early() -> None:
    for seed in range(30):
        faults = schedule(seed, seconds=600, faults=40)
        assert len(faults) == 40
        for kind in ("broker", "database"):
            outages = [(f.at, f.at + f.hold) for f in faults if f.kind == kind]
            for (_, end), (start, _) in pairwise(outages):
                assert start >= end, f"seed {seed}: two {kind} outages at once"
        assert all(f.at + f.hold < 600 for f in faults)
        assert {f.kind for f in schedule(seed, seconds=600, faults=200)} == {
            "kill",
            "kill-at-point",
            "stop",
            "stop-at-point",
            "broker",
            "database",
        }
        frozen = [f for f in schedule(seed, seconds=120, faults=6) if f.kind == "stop-at-point"]
        assert [(f.target[:13], f.point.split(":")[0]) for f in frozen if f.point] == [
            ("notifications", "after-delivery-claim")
        ]
        assert frozen[0].hold > 8  # past the chaos run's delivery lease


def test_a_fault_point_armed_to_stop_freezes_the_process_there_until_it_is_continued() -> None:
    code = "from shared.faults import fault_point as f; f('x'); print('past', flush=True); f('x')"
    env = {**os.environ, "POINTSTREAM_FAULT": "x:1:stop", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    )
    stat = Path(f"/proc/{process.pid}/stat")
    deadline = time.monotonic() + 30
    while stat.read_text().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
        assert time.monotonic() < deadline, "it never stopped at the point"
        time.sleep(0.05)
    process.send_signal(signal.SIGCONT)
    out, _ = process.communicate(timeout=30)
    assert (process.returncode, out) == (0, "past\n")  # frozen once, then on its way


def test_an_email_sent_again_needs_a_fault_between_its_copies_and_each_fault_explains_one() -> None:
    killed, db_lost = Window(10, 10, 1), Window(50, 55, 2)
    assert sent_again_unexplained([("a", 9), ("a", 19)], [killed]) == []
    # the same copy again with no fault between: a replica sent what it no longer held
    [found] = sent_again_unexplained([("a", 9), ("a", 19), ("b", 30), ("b", 40)], [killed])
    assert found.startswith("1 of 2 emails sent again with no fault")
    assert "b sent again" in found
    # one kill, two emails again: one of them unexplained
    assert sent_again_unexplained([("a", 9), ("b", 9.5), ("a", 19), ("b", 20)], [killed])
    # the database lost under two replicas' records explains two
    two = [("a", 49), ("b", 52), ("a", 60), ("b", 61)]
    assert sent_again_unexplained(two, [db_lost]) == []
    assert sent_again_unexplained([*two, ("c", 53), ("c", 62)], [db_lost, killed])


def test_the_erasure_search_finds_each_erased_id_and_no_other_member() -> None:
    erased = {"chaos-7-m12", "chaos-7-m130"}
    pattern = re.compile(erased_pattern(erased))
    text = "x chaos-7-m1 chaos-7-m120 chaos-7-m130, chaos-7-m1300 chaos-7-m12\n"
    assert [m.group(1) for m in pattern.finditer(text) if m.group(1) in erased] == [
        "chaos-7-m130",
        "chaos-7-m12",
    ]
    odd = {"anna", "bo-2"}  # no common shape: one alternative each
    assert [m.group(1) for m in re.finditer(erased_pattern(odd), "anna bo-20 bo-2.")] == [
        "anna",
        "bo-2",
    ]


async def test_a_fault_the_harness_cannot_carry_out_is_told_and_the_rest_go_on() -> None:
    """A broker that will not start again fails the run by name (*the schedule carried out*),
    and the faults after it are still carried out; a traceback after the drive proved nothing."""
    from types import SimpleNamespace

    from chaos.acts import Acted, act
    from chaos.faults import Fault

    done: list[str] = []

    def start(node: int) -> None:
        raise subprocess.CalledProcessError(1, ["cluster.sh", "start", str(node)])

    cluster = SimpleNamespace(kill=lambda node: done.append(f"kill {node}"), start=start)
    system = SimpleNamespace(cluster=cluster, stop=done.append, cont=done.append)
    acted = Acted()
    faults = [Fault(0.0, "broker", "broker-1", 0.0), Fault(0.0, "stop", "rules-0", 0.0)]
    await act(system, faults, time.monotonic(), acted)  # type: ignore[arg-type]
    assert sorted(done) == ["kill 2", "rules-0", "rules-0"]  # the stop beside it was carried out
    assert len(acted.failed) == 1
    assert "broker broker-1" in acted.failed[0]
    assert "CalledProcessError" in acted.failed[0]
