"""``python -m chaos --seed S --events N --minutes M --plan``: print the workload's mix and the
fault schedule a seed draws (running them against the system is the next step of #33)."""

import argparse
import random
from collections import Counter
from datetime import UTC, datetime

from chaos.faults import schedule
from chaos.workload import workload


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaos")
    parser.add_argument("--seed", type=int, default=None, help="none: a new one, printed")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--plan", action="store_true", help="print the plan only")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}: {args.events:,} events over {args.minutes} minutes")
    steps = list(workload(seed, events=args.events, members=args.members, start=datetime.now(UTC)))
    kinds = Counter(s.kind for s in steps)
    routes = Counter(s.route for s in steps if s.kind not in ("redemption", "voucher_use"))
    print("workload:", ", ".join(f"{k} {v:,}" for k, v in kinds.most_common()))
    print("routes:", ", ".join(f"{k} {v:,}" for k, v in routes.most_common()))
    faults = schedule(seed, seconds=args.minutes * 60, faults=max(1, args.events // 10_000))
    print(f"faults ({len(faults)}):")
    for fault in faults:
        print(" ", fault.describe())
    if not args.plan:
        raise SystemExit("running the plan against the system is not built yet (#33)")


if __name__ == "__main__":
    main()
