"""Campaign budgets: points a budgeted rule may still award across all members. Pure."""

from collections.abc import Mapping


class Budgets:
    """What each budgeted rule has spent, as loaded (under lock) for one chunk of events;
    reservations and refunds change it in memory, :meth:`changed` says what to write back."""

    def __init__(self, limits: Mapping[str, int], spent: Mapping[str, int]) -> None:
        self._limits = dict(limits)
        self.spent = {rule_id: spent.get(rule_id, 0) for rule_id in limits}
        self._loaded = dict(self.spent)

    def reserve(self, rule_id: str, points: int) -> int:
        """Take up to ``points`` from the rule's budget; how many were granted."""
        limit = self._limits.get(rule_id)
        if limit is None:
            return points
        granted = max(0, min(points, limit - self.spent[rule_id]))
        self.spent[rule_id] += granted
        return granted

    def refund(self, rule_id: str, points: int) -> None:
        if rule_id in self.spent:
            self.spent[rule_id] -= points

    def changed(self) -> dict[str, int]:
        return {r: s for r, s in self.spent.items() if s != self._loaded[r]}
