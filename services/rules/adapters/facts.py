"""The facts rule conditions see: ``event``, ``purchase``, ``data`` and ``member``; a line
filter sees ``line`` (``sku``, ``category``, ``quantity``, ``unit_price``, ``amount``, ``tags``
and the sender's own ``attributes``). A sender's custom attributes of the event are in
``data`` with the known fields, as it sent them.

Money is given to expressions as a double; a decimal amount of up to 15 significant digits
converts to the nearest double and comparisons keep their order, so thresholds stay exact.
Points are always computed from the exact decimals, never from these doubles."""

from typing import Any

import cel

from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.rfm import Cutpoints


class Facts(dict[str, Any]):
    """The facts of one event, converted to CEL's values once for all the rules that read them
    (converting per rule cost more than evaluating)."""

    _context: cel.Context | None = None
    needed: frozenset[str] | None = None  # what the conditions read; None: everything

    def cel_context(self) -> cel.Context:
        if self._context is None:
            wanted = self.needed
            variables = {k: v for k, v in self.items() if wanted is None or k in wanted}
            self._context = cel.Context(variables=variables)
        return self._context


class LineFacts(dict[str, Any]):
    """One purchase line's facts; converted to CEL once for every rule's line filter."""

    _context: cel.Context | None = None

    def cel_context(self) -> cel.Context:
        if self._context is None:
            self._context = cel.Context(variables={"line": self})
        return self._context


def facts(
    event: LoyaltyEvent,
    member: MemberState,
    needed: frozenset[str] | None = None,
    member_facts: dict[str, Any] | None = None,
    cuts: Cutpoints | None = None,
) -> Facts:
    """The facts of ``event``: those the conditions read (``needed``; None: all of them), and
    the purchase whenever there is one (line filters read its lines). ``member_facts``: the
    member's, if already gathered for this event."""
    result = Facts()
    result.needed = needed
    if needed is None or "event" in needed:
        result["event"] = {
            "id": event.sent_id or event.event_id,
            "source": event.source,
            "type": event.event_type,
            "time": event.occurred_at.isoformat(),
            "weekday": event.occurred_at.isoweekday(),
            "hour": event.occurred_at.hour,
        }
    if needed is None or "data" in needed:
        result["data"] = plain(event.data)
    if needed is None or "member" in needed:
        result["member"] = member_facts or member.facts(event.occurred_at, cuts)
    if event.purchase is not None:
        p = event.purchase
        lines = [
            LineFacts(
                sku=ln.sku,
                category=ln.category,
                quantity=float(ln.quantity),
                unit_price=float(ln.unit_price),
                amount=float(ln.amount),
                tags=list(ln.tags),
                attributes=plain(ln.attributes) if ln.attributes else {},
            )
            for ln in p.lines
        ]
        result["purchase"] = {
            "currency": p.currency,
            "total": float(p.total),
            "paid": float(p.paid),
            "lines": lines,
            "categories": sorted({ln.category for ln in p.lines}),
            "tags": sorted({t for ln in p.lines for t in ln.tags}),
            "channel": str(event.data.get("channel", "")),
        }
    return result


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """JSON-like values for CEL: decimals become doubles. (By exact type first: this walks
    every payload twice, for the rules and for the history.)"""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | float | str):  # a subclass (an enum's value)
        return value
    return float(value) if hasattr(value, "as_tuple") else str(value)
