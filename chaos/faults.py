"""The seeded fault schedule: what is done to the running system, and when, drawn from one seed
so that the same seed is the same schedule (timing aside). Kills of any replica (kill -9, at a
random moment or at a named fault point), a replica stopped (SIGSTOP) long enough to lose its
partitions or its delivery lease and then continued (at a random moment, or frozen at the
point where it has leased deliveries and sent none), a broker killed and started again, the
database killed (fsync on) and started again. At most one broker and never the database twice
at once; every fault ends (a restart, a continue) before the schedule does, so the system can
catch up and the oracle judge it."""

import random
from dataclasses import dataclass

SERVICES = ("rules", "ledger", "notifications")
REPLICAS = tuple(f"{s}-{r}" for s in SERVICES for r in (0, 1))
BROKERS = ("broker-0", "broker-1", "broker-2")
# Where each service's replica can be made to die on purpose (shared.faults' points).
FAULT_POINTS = {
    "rules": ("after-db-commit", "before-offset-commit", "after-publish-before-delete"),
    "ledger": (
        "after-db-commit",
        "before-offset-commit",
        "after-publish-before-delete",
        "after-redemption-commit",
    ),
    "notifications": ("after-db-commit", "before-offset-commit", "after-send-before-record"),
}
# Where a notifications replica freezes itself for a stop at a fault point: its deliveries
# leased, none sent; held past the lease, another replica sends them, and it must not.
STOP_POINT = "after-delivery-claim"
KINDS = {  # kind: weight
    "kill": 40,
    "kill-at-point": 20,
    "stop": 15,
    "broker": 15,
    "database": 10,
}


@dataclass(frozen=True)
class Fault:
    at: float  # seconds from the start of the workload
    kind: str
    target: str
    hold: float  # how long it stays down or stopped before it is started or continued
    point: str | None = None  # the fault point, for kill-at-point: "<point>:<n>", the n-th pass

    def describe(self) -> str:
        where = f" at {self.point}" if self.point else ""
        return f"{self.at:7.1f}s {self.kind:<13} {self.target}{where}, back after {self.hold:.1f}s"


# What every schedule has, whatever its length: each service's replica stopped past its lease
# and killed at a fault point, a notifications replica frozen with deliveries leased, a broker
# and the database lost; the rest is drawn by weight.
COVERAGE = (
    ("stop", "rules"),
    ("stop", "ledger"),
    ("stop", "notifications"),
    ("kill-at-point", "rules"),
    ("kill-at-point", "ledger"),
    ("kill-at-point", "notifications"),
    ("stop-at-point", "notifications"),
    ("broker", ""),
    ("database", ""),
)


def schedule(seed: int, *, seconds: float, faults: int) -> list[Fault]:
    """``faults`` faults (at least the coverage above) over ``seconds``, none in the last
    fifth (the system catches up), one broker and one database outage at a time."""
    rng = random.Random(seed ^ 0x5EED)
    kinds, weights = zip(*KINDS.items(), strict=True)
    times = sorted(rng.uniform(0, seconds * 0.8) for _ in range(max(faults, len(COVERAGE))))
    drawn: list[tuple[str, str]] = list(COVERAGE) + [
        (rng.choices(kinds, weights)[0], "") for _ in range(len(times) - len(COVERAGE))
    ]
    rng.shuffle(drawn)
    busy_until = {"broker": 0.0, "database": 0.0}
    planned: list[Fault] = []
    for at, (kind, service) in zip(times, drawn, strict=True):
        hold = round(rng.uniform(1, 8), 1)
        if kind in busy_until and at < busy_until[kind]:
            kind = "kill"  # one broker, one database outage at a time
        if kind in busy_until:
            busy_until[kind] = at + hold + 15  # and time to recover between them
        replica = f"{service}-{rng.randrange(2)}" if service else rng.choice(REPLICAS)
        target = {"broker": rng.choice(BROKERS), "database": "postgres"}.get(kind, replica)
        point = None
        if kind == "kill-at-point":
            service = target.rsplit("-", 1)[0]
            point = f"{rng.choice(FAULT_POINTS[service])}:{rng.randint(1, 20)}"
        if kind == "stop-at-point":
            point = f"{STOP_POINT}:{rng.randint(1, 3)}"
        if kind in ("stop", "stop-at-point"):
            hold = round(rng.uniform(12, 40), 1)  # past the session timeout and the lease
        planned.append(Fault(round(at, 1), kind, target, hold, point))
    return planned
