"""Carries out the fault schedule against the running system, each fault at its moment and
each undone after its hold: a replica killed -9 and started again, killed at a fault point (it
is started armed, dies when its turn comes, and is started clean), stopped and continued (or
started armed to freeze itself at a fault point, and continued after the hold), a
broker or the database killed -9 and started again. What was done, and when, is logged."""

import asyncio
import subprocess
import time
from dataclasses import dataclass, field

from chaos.faults import Fault
from chaos.system import ChaosSystem

AFTER_THAW = 10.0  # seconds a replica continued from a fault point runs before its next fault


@dataclass(frozen=True)
class Window:
    """A fault that may make a notifications replica send an email again, and when (as
    time.monotonic()): one killed mid-send (sent, not yet recorded: another sends it when
    the lease runs out), stopped mid-send, or the database lost under the record (each
    replica's message in hand)."""

    start: float
    end: float
    excuses: int  # how many emails it may cause to go again


@dataclass
class Acted:
    done: list[str] = field(default_factory=list)
    kills: int = 0
    points_hit: int = 0
    restarts: list[str] = field(default_factory=list)  # replicas that exited on their own
    held: set[str] = field(default_factory=set)  # down on purpose, for now
    windows: list[Window] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # faults the harness could not carry out

    def sent_again(self, target: str, start: float, excuses: int = 1) -> None:
        """Keep the window in which ``target``'s fault (from ``start`` to now) may have made
        an email go again; a notifications replica's or the database's only."""
        if target.startswith("notifications") or target == "postgres":
            self.windows.append(Window(start, time.monotonic(), excuses))


async def act(system: ChaosSystem, faults: list[Fault], started: float, acted: Acted) -> None:
    """Every fault of the schedule, in order, overlapping where their holds overlap."""
    running = []
    for fault in faults:
        wait = started + fault.at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        running.append(asyncio.create_task(_one(system, fault, acted, started)))
    await asyncio.gather(*running)


_busy: dict[str, asyncio.Lock] = {}


async def _one(system: ChaosSystem, fault: Fault, acted: Acted, started: float) -> None:
    lock = _busy.setdefault(fault.target, asyncio.Lock())
    async with lock:  # one fault at a time per target: a stopped replica is not killed twice
        acted.held.add(fault.target)
        try:
            await _fault(system, fault, acted, started)
        except (subprocess.CalledProcessError, OSError, AssertionError, TimeoutError) as exc:
            # (a broker that would not start again, a process that would not die): the run
            # goes on and is judged failed, naming the fault, instead of ending in a traceback
            at = time.monotonic() - started
            acted.failed.append(f"{at:7.1f}s {fault.kind} {fault.target}: {exc!r}"[:500])
        finally:
            acted.held.discard(fault.target)


async def _fault(system: ChaosSystem, fault: Fault, acted: Acted, started: float) -> None:
    at = time.monotonic() - started
    acted.done.append(f"{at:7.1f}s {fault.describe().split(maxsplit=1)[1]}")
    if fault.kind == "kill":
        acted.kills += 1
        system.kill(fault.target)
        acted.sent_again(fault.target, time.monotonic())
        await asyncio.sleep(fault.hold)
        system.spawn(fault.target)
    elif fault.kind == "kill-at-point":
        acted.kills += 1
        system.kill(fault.target)
        acted.sent_again(fault.target, time.monotonic())
        system.spawn(fault.target, POINTSTREAM_FAULT=str(fault.point))
        deadline = time.monotonic() + 30 + fault.hold
        while system.exited(fault.target) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if system.exited(fault.target) is not None:
            acted.points_hit += 1
            acted.sent_again(fault.target, time.monotonic() - 0.2)  # died at its point
        else:
            system.kill(fault.target)  # its turn never came: killed anyway
            acted.sent_again(fault.target, time.monotonic())
        system.spawn(fault.target)
    elif fault.kind == "stop-at-point":
        await asyncio.to_thread(system.end, fault.target)  # (a clean stop: no kill to excuse)
        system.spawn(fault.target, POINTSTREAM_FAULT=f"{fault.point}:stop")
        deadline = time.monotonic() + 60 + fault.hold
        while not system.frozen(fault.target) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if system.frozen(fault.target):
            acted.points_hit += 1
            system.stopped.add(fault.target)
            await asyncio.sleep(fault.hold)
            system.cont(fault.target)
            await asyncio.sleep(AFTER_THAW)  # its next fault waits: what it held is judged
        else:  # its turn never came: started again unarmed
            await asyncio.to_thread(system.end, fault.target)
            system.spawn(fault.target)
    elif fault.kind == "stop":
        stopped = time.monotonic()
        system.stop(fault.target)
        await asyncio.sleep(fault.hold)
        system.cont(fault.target)
        acted.sent_again(fault.target, stopped)  # (frozen mid-send, it finishes the send)
    elif fault.kind == "broker":
        node = int(fault.target.rsplit("-", 1)[1]) + 1
        await asyncio.to_thread(system.cluster.kill, node)
        await asyncio.sleep(fault.hold)
        await asyncio.to_thread(system.cluster.start, node)
    elif fault.kind == "database":
        lost = time.monotonic()
        await asyncio.to_thread(system.postgres.kill)
        await asyncio.sleep(fault.hold)
        await asyncio.to_thread(system.postgres.start)
        acted.sent_again("postgres", lost, excuses=2)  # a message in hand per replica


async def supervise(system: ChaosSystem, acted: Acted, started: float) -> None:
    """A replica that exited on its own (not one a fault holds down) is started again, as its
    supervisor (Kubernetes, systemd) would; each such restart is kept for the report."""
    while True:
        await asyncio.sleep(1)
        for replica in list(system.processes):
            code = system.exited(replica)
            if code is not None and replica not in acted.held and replica not in system.stopped:
                acted.restarts.append(f"{time.monotonic() - started:7.1f}s {replica} exited {code}")
                acted.sent_again(replica, time.monotonic() - 1)
                system.spawn(replica)
