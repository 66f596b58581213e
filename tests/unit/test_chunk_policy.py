"""The chunk policy: a failing chunk is split until the culprit is alone, the rest commits in
order; transient failures retry the whole chunk; a stop request is honoured mid-backoff."""

import asyncio
from collections.abc import Mapping, Sequence

from sqlalchemy.exc import DBAPIError

from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.inbound import PayloadError
from shared.errors import RetryLater
from shared.kafka.chunks import ChunkPolicy, is_transient


def events(n: int) -> list[CloudEvent]:
    return [
        new_event(id=f"e{i}", source="test", type="purchase.completed", subject="m", data={})
        for i in range(n)
    ]


class Handler:
    def __init__(
        self, *, bug: frozenset[str] = frozenset(), poison: frozenset[str] = frozenset()
    ) -> None:
        self.committed: list[list[str]] = []
        self.calls = 0
        self.bug, self.poison = bug, poison
        self.transient = 0
        self.rejects: dict[str, str] = {}

    async def __call__(self, chunk: Sequence[CloudEvent]) -> Mapping[int, str]:
        self.calls += 1
        ids = [e.id for e in chunk]
        if self.transient:
            self.transient -= 1
            raise RetryLater("database away")
        if self.bug & set(ids):
            raise RuntimeError("a bug")
        if self.poison & set(ids):
            raise PayloadError("impossible data")
        self.committed.append(ids)
        return {i: self.rejects[e] for i, e in enumerate(ids) if e in self.rejects}


def policy(handler: Handler, stopping: asyncio.Event | None = None) -> ChunkPolicy[CloudEvent]:
    return ChunkPolicy(handler, lambda e: e, stopping=stopping or asyncio.Event(), max_backoff=0.01)


async def test_a_bug_splits_the_chunk_until_the_culprit_is_alone_and_the_rest_commits() -> None:
    handler = Handler(bug=frozenset({"e5"}))
    outcome = await policy(handler).settle(events(8))
    assert [e.id for e, _ in outcome.dead] == ["e5"]
    assert "handler failed 3 times" in outcome.dead[0][1]
    assert [e.id for e in outcome.handled] == ["e0", "e1", "e2", "e3", "e4", "e6", "e7"]
    assert [i for chunk in handler.committed for i in chunk] == [e.id for e in outcome.handled]
    assert outcome.settled == 8
    assert outcome.splits >= 3  # 8 -> 4 -> 2 -> 1


async def test_a_contract_error_is_dead_lettered_at_once_with_its_reason() -> None:
    handler = Handler(poison=frozenset({"e2"}))
    outcome = await policy(handler).settle(events(4))
    assert [(e.id, why) for e, why in outcome.dead] == [("e2", "impossible data")]
    assert len(outcome.handled) == 3


async def test_rejected_events_are_dead_lettered_and_the_others_commit_together() -> None:
    handler = Handler()
    handler.rejects = {"e1": "return of unknown purchase"}
    outcome = await policy(handler).settle(events(3))
    assert handler.calls == 1
    assert handler.committed == [["e0", "e1", "e2"]]
    assert [(e.id, why) for e, why in outcome.dead] == [("e1", "return of unknown purchase")]
    assert [e.id for e in outcome.handled] == ["e0", "e2"]


async def test_a_transient_failure_retries_the_whole_chunk_without_splitting_it() -> None:
    handler = Handler()
    handler.transient = 4
    outcome = await policy(handler).settle(events(6))
    assert handler.committed == [[f"e{i}" for i in range(6)]]
    assert outcome.splits == 0
    assert outcome.dead == []


async def test_asked_to_stop_during_a_lasting_outage_it_settles_nothing() -> None:
    handler = Handler()
    handler.transient = 10**6
    stopping = asyncio.Event()
    settling = asyncio.create_task(policy(handler, stopping).settle(events(3)))
    await asyncio.sleep(0.05)
    stopping.set()
    outcome = await asyncio.wait_for(settling, timeout=5)
    assert outcome.settled == 0
    assert handler.committed == []


class _Driver(Exception):
    """An asyncpg-shaped error as SQLAlchemy's adapter hands it on (``sqlstate``)."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_a_database_coming_back_is_transient_a_bad_statement_is_not() -> None:
    # A chaos run found this: while PostgreSQL recovered from a kill it answered "the database
    # system is not yet accepting connections" (57P03), and three such tries dead-lettered a
    # purchase as if the handler had a bug.
    def raised(sqlstate: str) -> DBAPIError:
        return DBAPIError("INSERT ...", None, _Driver(sqlstate))

    for coming_back in ("57P03", "57P01", "57P02", "08006", "53300"):
        assert is_transient(raised(coming_back)), coming_back
    for bad in ("23505", "42P01", "22P02"):
        assert not is_transient(raised(bad)), bad
