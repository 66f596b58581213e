"""A consumer's dispatch table: for each event type on its topics, the command the event
becomes (a translator in the service's adapters, which reads and checks the payload) and the
use case that carries a chunk's commands out. "What handles event X" is one grep: ``X:``.

A type routed to :data:`SKIP` belongs to another service on a shared topic: the consumer
skips it by its type header, unread. A type not in the table is refused with its reason."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contracts.envelope import CloudEvent, InvalidMessage
from shared.contracts.inbound import PayloadError
from shared.kafka.chunks import Commands


@dataclass(frozen=True, slots=True)
class Route:
    """An event type's translator (event → command, ``PayloadError`` when the payload breaks
    the contract) and the name of the use case that takes the command. A route that ``cuts``
    is handled alone, in order, between the chunk's parts (an erasure)."""

    command: Callable[[CloudEvent], Any]
    use_case: str
    cuts: bool = False


SKIP: Route | None = None


@dataclass
class Sorted:
    """A chunk's commands by use case (each keeps its events' indexes), and the refused."""

    by_use_case: dict[str, Commands[Any]] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)

    def of(self, use_case: str) -> Commands[Any]:
        """The commands for ``use_case`` (a use case's refusals go in with ``reject``)."""
        return self.by_use_case.setdefault(use_case, Commands())

    def take_rejected(self) -> dict[int, str]:
        """The chunk's refusals: by the translators and by the use cases."""
        rejected = dict(self.rejected)
        for commands in self.by_use_case.values():
            rejected |= commands.rejected
        return rejected


class Dispatch:
    def __init__(self, what: str, routes: Mapping[str, Route | None]) -> None:
        self.what = what  # e.g. "the awards topic", for the reason of a refused type
        self.routes = dict(routes)

    @property
    def skipped(self) -> frozenset[str]:
        """The types for other services: skipped by their header, never decoded."""
        return frozenset(t for t, route in self.routes.items() if route is SKIP)

    def cuts(self, event: CloudEvent) -> bool:
        route = self.routes.get(event.type)
        return route is not None and route.cuts

    def command(self, event: CloudEvent) -> Any:
        """The event's command, by its route; ``PayloadError`` for a type not in the table."""
        if event.type not in self.routes:
            known = ", ".join(sorted(t for t, r in self.routes.items() if r is not SKIP))
            raise PayloadError(
                f"unknown event type {event.type!r} on {self.what}; expected one of: {known}"
            )
        route = self.routes[event.type]
        return None if route is None else route.command(event)

    def sort(self, events: Sequence[CloudEvent]) -> Sorted:
        """Each event's command, under its use case; refusals by the event's index."""
        out = Sorted()
        for index, event in enumerate(events):
            try:
                command = self.command(event)
            except InvalidMessage as exc:
                out.rejected[index] = str(exc)
                continue
            if command is None:
                continue
            commands = out.of(route_of(self.routes, event.type).use_case)
            commands.commands.append(command)
            commands.positions.append(index)
        return out


def route_of(routes: Mapping[str, Route | None], event_type: str) -> Route:
    route = routes[event_type]
    assert route is not None  # a command comes only from a route
    return route


def routes_for(types: Iterable[str], route: Route) -> dict[str, Route]:
    """The same route for a family of types (``points.<kind>`` for every kind)."""
    return dict.fromkeys(types, route)
