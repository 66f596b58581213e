"""A chaos run that does not finish is a finding too, and must say where it waits: past its
deadline the run prints every task's stack (what each is awaiting), is cancelled so that the
system is stopped as usual, and exits 2; should stopping hang as well, every thread's stack is
printed and the process ends."""

import asyncio
import faulthandler
import sys
from collections import Counter
from collections.abc import Coroutine
from typing import Any, NoReturn

from tests.infra import REPO

STOPPING_FOR = 240.0  # seconds the cancelled run has to stop the system


class Hung(Exception):
    """The run did not finish within its deadline."""


async def within(run: Coroutine[Any, Any, dict[str, Any]], minutes: float) -> dict[str, Any]:
    faulthandler.dump_traceback_later(minutes * 60 + STOPPING_FOR + 60, exit=True)
    task = asyncio.create_task(run)
    try:
        done, _ = await asyncio.wait({task}, timeout=minutes * 60)
        if done:
            return task.result()
        print(f"\nHUNG: the run did not finish within {minutes:g} minutes; where it waits:")
        print(stacks(), flush=True)
        task.cancel()
        await asyncio.wait({task}, timeout=STOPPING_FOR)
        raise Hung(f"not finished within {minutes:g} minutes")
    finally:
        faulthandler.cancel_dump_traceback_later()


def stacks() -> str:
    """Where every task but this one waits: its chain of awaits, outermost first, and how
    many tasks wait there."""
    chains: Counter[tuple[str, ...]] = Counter()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            chains[_chain(task.get_coro())] += 1
    return "\n".join(
        f"{n} task(s):\n" + "\n".join(f"    {frame}" for frame in chain)
        for chain, n in chains.most_common()
    )


def _chain(awaiting: Any) -> tuple[str, ...]:
    """The frames of a task's awaits; the libraries' collapsed but for the innermost."""
    frames: list[str] = []
    while awaiting is not None and len(frames) < 60:
        frame = getattr(awaiting, "cr_frame", None) or getattr(awaiting, "gi_frame", None)
        if frame is None:
            frames.append(f"waiting on a {type(awaiting).__name__}")
            break
        code = frame.f_code
        file = code.co_filename.removeprefix(f"{REPO}/")
        frames.append(f"{file}:{frame.f_lineno} in {code.co_name}")
        awaiting = getattr(awaiting, "cr_await", None) or getattr(awaiting, "gi_yieldfrom", None)
    ours = [i for i, f in enumerate(frames) if not f.startswith(("/", ".venv/", "waiting"))]
    last_ours = ours[-1] if ours else -1
    if len(frames) - last_ours > 4:  # library frames: the first and the innermost two
        frames[last_ours + 2 : -2] = [f"... {len(frames) - last_ours - 4} more"]
    return tuple(frames)


def fail(seed: int, hung: Hung) -> NoReturn:
    print(f"\nseed {seed}: FAILED. {hung}; the stacks above say where.", flush=True)
    sys.exit(2)
