"""The transaction the fakes share: a unit of work's `async with`, rolled back unless
committed."""

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
