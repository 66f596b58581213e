"""``python -m chaos --seed S --events N --minutes M``: start the whole system, drive the seeded
workload through it while the seeded fault schedule acts, wait for it to catch up, and check
every invariant; a failure prints the seed, the schedule and the first invariant broken, and
exits 1; a run not finished by its deadline prints where it waits and exits 2.
``--plan`` prints the workload's mix and the schedule only."""

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos import watchdog
from chaos.driver import IN_FLIGHT
from chaos.faults import schedule
from chaos.run import Plan, run
from chaos.workload import workload
from tests.infra import REPO


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaos")
    parser.add_argument("--seed", type=int, default=None, help="none: a new one, printed")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--members", type=int, default=None, help="default: events / 40")
    parser.add_argument("--kills-per-100k", type=int, default=60, dest="per_100k")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, dest="in_flight",
                        help="steps under way at once (different members)")  # fmt: skip
    parser.add_argument("--deadline", type=float, default=None, metavar="MINUTES",
                        help="a run not finished by then prints where it waits and exits 2 "
                        "(default: 15 + 2 x minutes + events / 2,000)")  # fmt: skip
    parser.add_argument("--plan", action="store_true", help="print the plan only")
    parser.add_argument("--out", type=Path, default=None, help="default: var/chaos/<seed>")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    members = args.members or max(50, args.events // 40)
    # Events from the past, so every return window has closed by the end (points available).
    start = datetime.now(UTC) - timedelta(seconds=args.events, days=20)
    steps = list(workload(seed, events=args.events, members=members, start=start))
    faults = schedule(
        seed, seconds=args.minutes * 60, faults=max(6, args.events * args.per_100k // 100_000)
    )
    print(f"seed {seed}: {args.events:,} events, {members:,} members, {args.minutes} minutes")
    kinds = Counter(s.kind for s in steps)
    routes = Counter(s.route for s in steps if s.kind not in ("redemption", "voucher_use"))
    print("workload:", ", ".join(f"{k} {v:,}" for k, v in kinds.most_common()))
    print("routes:", ", ".join(f"{k} {v:,}" for k, v in routes.most_common()))
    print(f"faults ({len(faults)}):")
    for fault in faults:
        print(" ", fault.describe())
    if args.plan:
        return
    out = args.out or REPO / "var" / "chaos" / str(seed)
    began = time.monotonic()
    plan = Plan(seed, steps, faults, start, args.minutes * 60, out, args.in_flight)
    deadline = args.deadline or 15 + 2 * args.minutes + args.events / 2000
    try:
        result = asyncio.run(watchdog.within(run(plan), deadline))
    except watchdog.Hung as hung:
        watchdog.fail(seed, hung)
    result["seconds"] = round(time.monotonic() - began)
    (out / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "broken"}, indent=2))
    if result["broken"]:
        print(f"\nseed {seed}: FAILED. First invariant broken: {result['broken'][0]['invariant']}")
        for line in result["broken"][0]["found"][:20]:
            print("  ", line)
        for other in result["broken"][1:]:
            print(f"also broken: {other['invariant']} ({len(other['found'])} findings)")
        print(f"replay: python -m chaos --seed {seed} --events {args.events} "
              f"--minutes {args.minutes}; logs in {out}")  # fmt: skip
        sys.exit(1)
    print(f"\nseed {seed}: every invariant held.")


if __name__ == "__main__":
    main()
