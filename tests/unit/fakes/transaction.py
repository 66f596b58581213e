"""The transaction the fakes share: a unit of work's `async with`, rolled back unless
committed."""

from collections.abc import Collection
from datetime import datetime
from types import TracebackType
from typing import Self


class FakeTransaction:
    committed = False

    async def __aenter__(self) -> Self:
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Nothing to roll back: fakes apply changes only on commit."""

    async def commit(self) -> None:
        self.committed = True


class FakeErasedMembers:
    """Who was erased, and when: what each service keeps (shared.erasure)."""

    def __init__(self) -> None:
        self.erased_members: dict[str, datetime] = {}

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        return {m: self.erased_members[m] for m in member_ids if m in self.erased_members}

    def _erasing(self, member_id: str, now: datetime) -> bool:
        """Records the erasure; False if it was recorded before."""
        if member_id in self.erased_members:
            return False
        self.erased_members[member_id] = now
        return True
