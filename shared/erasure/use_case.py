"""A service's erasure use case (once per member), and the consumers' part of it: the command,
its translator from another service's news, the handler that cuts a chunk at it, and the
news this service sends when it forgot a member."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.contracts.envelope import CloudEvent, InvalidMessage, derived_id, new_event
from shared.contracts.erasure import MEMBER_ERASED, MemberErased
from shared.contracts.inbound import payload_of
from shared.uow import Transaction


class ErasingTransaction(Transaction, Protocol):
    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Forget the member (and queue the news, where the service tells it); False if
        they were forgotten before."""
        ...


async def erase_once(uow: ErasingTransaction, member_id: str, erasure_event_id: str) -> bool:
    """A service's use case for an erasure: one transaction, once (False for a repeat)."""
    async with uow:
        erased = await uow.erase(member_id, erasure_event_id, datetime.now(UTC))
        if erased:
            await uow.commit()
    return erased


@dataclass(frozen=True, slots=True)
class EraseMember:
    """Forget the member (asked by ``erasure_event_id``)."""

    member_id: str
    erasure_event_id: str


def erasure_from_news(event: CloudEvent) -> EraseMember:
    """The translator for ``member.erased``: another service forgot the member, so do we."""
    erased = payload_of(event, MemberErased)
    return EraseMember(erased.member_id, erased.erasure_event_id)


def erasure_cut(
    command_of: Callable[[CloudEvent], Any],
    uow_factory: Callable[[], ErasingTransaction],
    on_done: Callable[[], None] = lambda: None,
) -> Callable[[CloudEvent], Awaitable[str | None]]:
    """A consumer's handler for the erasure that cuts its chunk: the event's
    :class:`EraseMember` (by ``command_of``, the consumer's dispatch), carried out once;
    ``on_done`` after (e.g. to wake the outbox relay). A malformed message's reason to
    dead-letter it."""

    async def erase(event: CloudEvent) -> str | None:
        try:
            command: EraseMember = command_of(event)
        except InvalidMessage as exc:
            return str(exc)
        await erase_once(uow_factory(), command.member_id, command.erasure_event_id)
        on_done()
        return None

    return erase


def erased_event(service: str, member_id: str, erasure_event_id: str, at: datetime) -> CloudEvent:
    """The news that ``service`` forgot the member."""
    payload = MemberErased(member_id=member_id, erasure_event_id=erasure_event_id, erased_at=at)
    return new_event(
        id=derived_id(erasure_event_id, "erased", service),
        source=f"pointstream/{service}",
        type=MEMBER_ERASED,
        subject=member_id,
        data=payload.model_dump(mode="json"),
        time=at,
    )
