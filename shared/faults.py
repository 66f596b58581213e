"""Fault points: named places where a test can make a process die at once, as kill -9 would.

``POINTSTREAM_FAULT=<point>[:<n>]`` makes the n-th time (1st by default) the process passes
``<point>`` its last: ``os._exit`` skips every cleanup, so nothing is committed, flushed or
acknowledged that was not already. ``<point>:<n>:stop`` freezes it there instead (SIGSTOP to
itself, once), for the test to continue it later. Unset (production), :func:`fault_point` is
a function that returns at once. The points are where exactly-once can break:

- ``after-db-commit``: a consumer's chunk is committed to the database, its offsets are not;
- ``before-offset-commit``: the same window, seen from the runtime, after dead letters went out;
- ``after-publish-before-delete``: the outbox relay's batch is on Kafka, its rows still queued;
- ``after-send-before-record``: an email or push went out, the delivery is not yet recorded;
- ``after-delivery-claim``: due deliveries are leased to this replica, none sent yet;
- ``after-redemption-commit``: a redemption (a hold's capture or release, a voucher's use or
  cancellation) is committed, the till never hears the answer;
- ``after-job-step``: the ledger's scheduled job committed one member's due work (maturing,
  expiry, a lapsed hold's release) and dies before the next member's.
"""

import os
import signal
import sys

EXIT_CODE = 137  # what a shell reports for a process killed by SIGKILL


def _parse(setting: str) -> tuple[str, int, bool] | None:
    if not setting:
        return None
    point, nth, action = [*setting.split(":"), "", ""][:3]
    return point, max(1, int(nth or 1)), action == "stop"


_armed = _parse(os.environ.get("POINTSTREAM_FAULT", ""))
_passes = 0


def fault_point(name: str) -> None:
    """Die (or freeze) here if the environment armed this point and its turn has come."""
    global _passes, _armed
    if _armed is None or _armed[0] != name:
        return
    _passes += 1
    if _passes < _armed[1]:
        return
    if _armed[2]:
        print(f"fault point {name} reached: stopping", file=sys.stderr, flush=True)
        _armed = None  # once
        os.kill(os.getpid(), signal.SIGSTOP)
        return
    print(f"fault point {name} reached: exiting", file=sys.stderr, flush=True)
    os._exit(EXIT_CODE)
