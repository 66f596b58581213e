"""The one backoff, retry loop and freshness rule every service uses."""

import asyncio

import pytest

from shared.freshness import Freshness
from shared.retry import Backoff, Stopped, retrying


def test_a_backoff_doubles_from_its_first_pause_up_to_its_most() -> None:
    backoff = Backoff(first=0.1, most=0.5)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]


async def test_retrying_gives_the_result_on_success_and_the_error_after_attempts() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("away")
        return "done"

    quick = Backoff(first=0.001, most=0.001)
    assert await retrying(flaky, backoff=quick, on=ConnectionError) == "done"
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(ConnectionError):
        await retrying(flaky, backoff=quick, on=ConnectionError, attempts=2)
    assert len(calls) == 2


async def test_retrying_other_errors_are_not_retried_and_a_stop_ends_the_wait() -> None:
    async def broken() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await retrying(broken, backoff=Backoff(1, 1), on=ConnectionError)

    async def away() -> None:
        raise ConnectionError

    stopping = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stopping.set)
    with pytest.raises(Stopped):  # within the first pause of 10 s
        await asyncio.wait_for(
            retrying(away, backoff=Backoff(10, 10), on=ConnectionError, stopping=stopping), 2
        )


async def test_freshness_reads_once_for_concurrent_callers_and_again_when_invalidated() -> None:
    reads = []

    async def read() -> None:
        reads.append(1)
        await asyncio.sleep(0.01)

    fresh = Freshness(ttl=60)
    await asyncio.gather(*(fresh.refresh(read) for _ in range(5)))
    assert len(reads) == 1
    await fresh.refresh(read)
    assert len(reads) == 1  # still fresh
    fresh.invalidate()
    await fresh.refresh(read)
    assert len(reads) == 2
