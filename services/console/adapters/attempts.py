"""Sign-in attempts per client address, in a sliding window, so that no address can try admin
keys faster than a person types. Kept in this replica's memory: two replicas allow twice as
many, still far too few for guessing a key."""

import time
from collections import deque


class Attempts:
    def __init__(self, *, limit: int = 10, window_seconds: float = 60.0) -> None:
        self._limit, self._window = limit, window_seconds
        self._seen: dict[str, deque[float]] = {}

    def wait_before(self, address: str, now: float | None = None) -> float:
        """0 if ``address`` may try now (the try is counted), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        if len(self._seen) > 10_000:  # forget addresses whose tries are all old
            self._seen = {a: q for a, q in self._seen.items() if q and q[-1] > now - self._window}
        tries = self._seen.setdefault(address, deque())
        while tries and tries[0] <= now - self._window:
            tries.popleft()
        if len(tries) >= self._limit:
            return tries[0] + self._window - now
        tries.append(now)
        return 0.0
