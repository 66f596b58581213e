"""How a chunk of consumed events is settled: the retry, split and dead-letter policy.

A chunk goes to the service's batch handler in one call, which handles it as sets in one
transaction and answers the events it rejected (contract errors, each with its reason: they
left no trace and are dead-lettered after the commit). When the call fails:

- transiently (database or Kafka away, a lost race): the whole chunk is retried with backoff,
  for as long as it takes, unless the consumer is asked to stop;
- otherwise (a bug, data the handler cannot take): the chunk is split in halves and each is
  settled in turn, until the culprit is alone; alone, it is retried ``max_attempts`` times and
  then dead-lettered with the error. Everything before and after it commits; order is kept.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.contracts.envelope import CloudEvent, InvalidMessage
from shared.errors import RetryLater
from shared.faults import fault_point
from shared.kafka.dead_letter import member_ref
from shared.retry import Backoff

log = logging.getLogger(__name__)

# Handles the events as one unit of work; answers {index: reason} of those it rejected.
BatchHandler = Callable[[Sequence[CloudEvent]], Awaitable[Mapping[int, str]]]
_TRANSIENT = (RetryLater, OSError, asyncio.TimeoutError, OperationalError, KafkaError)

T = TypeVar("T")
C = TypeVar("C")


# SQLSTATE classes of a database that is going away or coming back, not of a bad statement:
# 08 connection exception, 53 insufficient resources, 57 operator intervention (57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 "not yet accepting connections" while it recovers).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
    return isinstance(exc, _TRANSIENT)


@dataclass
class Commands(Generic[C]):
    """A chunk's events as a handler's commands, and the events refused on the way."""

    commands: list[C] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # each command's index in the chunk
    rejected: dict[int, str] = field(default_factory=dict)  # chunk index -> reason

    def reject(self, command_index: int, reason: str) -> None:
        """A command the use case refused: recorded under its event's index in the chunk."""
        self.rejected[self.positions[command_index]] = reason


async def cut_at(
    events: Sequence[CloudEvent],
    is_cut: Callable[[CloudEvent], bool],
    part: BatchHandler,
    cut: Callable[[CloudEvent], Awaitable[str | None]],
) -> dict[int, str]:
    """Handle a chunk in parts, cut at the events ``is_cut`` picks (rare ones, such as an
    erasure): each part before a cut with ``part``, then the cut alone with ``cut`` (its
    rejection reason, or None), in order. The rejections of the whole chunk, by index."""
    rejected: dict[int, str] = {}
    start = 0
    for index in [i for i, e in enumerate(events) if is_cut(e)]:
        rejected |= _shifted(await part(events[start:index]) if index > start else {}, start)
        if (why := await cut(events[index])) is not None:
            rejected[index] = why
        start = index + 1
    rest = events[start:] if start else events
    return rejected | _shifted(await part(rest) if rest else {}, start)


def _shifted(rejected: Mapping[int, str], by: int) -> dict[int, str]:
    return {index + by: why for index, why in rejected.items()}


@dataclass
class Settlement(Generic[T]):
    """What became of a chunk's leading ``settled`` items (the rest wait for the next fetch)."""

    settled: int = 0
    handled: list[T] = field(default_factory=list)
    dead: list[tuple[T, str]] = field(default_factory=list)
    splits: int = 0


class ChunkPolicy(Generic[T]):
    def __init__(
        self,
        handler: BatchHandler,
        event_of: Callable[[T], CloudEvent],
        *,
        stopping: asyncio.Event,
        max_attempts: int = 3,
        max_backoff: float = 5.0,
        on_retry: Callable[[str], None] = lambda kind: None,
    ) -> None:
        self._handler = handler
        self._event_of = event_of
        self._stopping = stopping
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff
        self._on_retry = on_retry

    async def settle(self, items: Sequence[T]) -> Settlement[T]:
        settlement: Settlement[T] = Settlement()
        if items:
            await self._settle(items, settlement)
        return settlement

    async def _settle(self, items: Sequence[T], out: Settlement[T]) -> bool:
        """Settle ``items`` in order into ``out``; False when asked to stop meanwhile."""
        attempt = 0
        while True:
            attempt += 1
            try:
                rejected = await self._handler([self._event_of(i) for i in items])
            except InvalidMessage as exc:  # the handler refused the chunk as a whole
                if len(items) > 1:
                    return await self._split(items, out)
                out.dead.append((items[0], str(exc)))
                out.settled += 1
                return True
            except Exception as exc:
                transient = is_transient(exc)
                self._on_retry("transient" if transient else "error")
                log.warning(
                    "handler failed",
                    exc_info=exc,
                    extra={"events": len(items), "attempt": attempt, **self._about(items)},
                )
                if not transient and len(items) > 1:
                    return await self._split(items, out)
                if not transient and attempt >= self._max_attempts:
                    out.dead.append((items[0], f"handler failed {attempt} times: {exc!r}"))
                    out.settled += 1
                    return True
                if await self._backoff(attempt):
                    return False
                continue
            fault_point("after-db-commit")
            for index, item in enumerate(items):
                if index in rejected:
                    out.dead.append((item, rejected[index]))
                else:
                    out.handled.append(item)
            out.settled += len(items)
            return True

    async def _split(self, items: Sequence[T], out: Settlement[T]) -> bool:
        out.splits += 1
        half = len(items) // 2
        return await self._settle(items[:half], out) and await self._settle(items[half:], out)

    def _about(self, items: Sequence[T]) -> dict[str, str]:
        """Ids for the log line of a lone event (a chunk's would be too many)."""
        if len(items) != 1:
            return {}
        event = self._event_of(items[0])
        return {"member": member_ref(event.subject), "event_type": event.type}

    async def _backoff(self, attempt: int) -> bool:
        """Wait before the next attempt; True when asked to stop meanwhile."""
        return await Backoff(0.1, self._max_backoff).pause(attempt, self._stopping)
