"""Rule expressions in CEL (Common Expression Language): compiled once per rule version,
evaluated in-process with no access to files, network or Python. Never ``eval``."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import cel

from services.rules.adapters.facts import Facts, LineFacts
from services.rules.adapters.simple_cel import UNSURE, compile_simple
from services.rules.domain.audiences import Audience, Offer
from services.rules.domain.challenges import Challenge
from services.rules.domain.engine import Compiled
from services.rules.domain.member import MemberState
from services.rules.domain.rules import LinePoints, PointsPerAmount, Rule

MAX_EXPRESSION_LENGTH = 2000
# CEL's standard functions and macros; anything else is a typo or an attempt to reach more.
ALLOWED_FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "has",
        "exists",
        "all",
        "exists_one",
        "map",
        "filter",
        "int",
        "uint",
        "double",
        "string",
        "bool",
        "bytes",
        "type",
        "timestamp",
        "duration",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "max",
        "min",
        "lowerAscii",
        "upperAscii",
        "trim",
        "split",
        "join",
        "replace",
        "indexOf",
        "substring",
        "!_",  # logical not
        "-_",  # numeric negation
    }
)


# ``member.in('lapsing')``: CEL reserves ``in`` as an operator, so the call is written for it
# as ``('lapsing' in member.audiences)`` before compiling.
_IN_AUDIENCE = re.compile(r"""\bmember\s*\.\s*in\s*\(\s*("[^"\\]*"|'[^'\\]*')\s*\)""")


def audience_calls(source: str) -> str:
    return _IN_AUDIENCE.sub(r"(\1 in member.audiences)", source)


class ExpressionError(ValueError):
    """An expression that does not compile; the message gives the position."""


class CelPredicate:
    def __init__(self, source: str, where: str) -> None:
        if len(source) > MAX_EXPRESSION_LENGTH:
            raise ExpressionError(f"{where}: longer than {MAX_EXPRESSION_LENGTH} characters")
        try:
            self._program = cel.compile(audience_calls(source))
        except ValueError as exc:
            raise ExpressionError(f"{where}: {exc}") from None
        unknown = sorted(
            f for f in self._program.functions() if f[0] not in "_@" and f not in ALLOWED_FUNCTIONS
        )
        if unknown:
            raise ExpressionError(f"{where}: unknown function(s): {', '.join(unknown)}")
        self.source = source
        self._where = where
        # Most rules have no condition ("true"): they need no facts converted for CEL at all.
        self._always = source.strip() == "true"
        self.variables = () if self._always else tuple(self._program.variables())
        # Simple conditions are answered from the facts as they are, with no conversion;
        # whatever the shortcut is unsure of, CEL answers (see simple_cel).
        self._simple = None if self._always else compile_simple(source)

    def __call__(self, facts: Mapping[str, Any]) -> bool:
        if self._always:
            return True
        if self._simple is not None:
            answer = self._simple(facts)
            if answer is not UNSURE:
                return bool(answer)
        # Converting values for CEL costs more than evaluating: an event's Facts convert once
        # for all rules; other mappings (a line's facts) convert only what the expression reads.
        context: cel.Context | dict[str, Any]
        if isinstance(facts, Facts):
            context = facts.cel_context()
        elif self.variables == ("line",) and isinstance(line := facts.get("line"), LineFacts):
            context = line.cel_context()  # the usual line filter: the line's facts, converted once
        else:
            context = {name: facts[name] for name in self.variables if name in facts}
        try:
            result = self._program.execute(context)
        except KeyError:
            return False  # a field this event's data lacks: the condition is not met
        except (RuntimeError, ValueError, TypeError) as exc:
            # A condition about a fact this event lacks is simply not met.
            if "Undefined variable" in str(exc) or "No such key" in str(exc):
                return False
            raise ExpressionError(f"{self._where}: {exc}") from None
        if not isinstance(result, bool):
            raise ExpressionError(f"{self._where}: gave {type(result).__name__}, not a bool")
        return result


def compile_rule(rule: Rule, offer: Offer | None = None) -> Compiled:
    """Compile the rule's expressions; ExpressionError names the one that fails and where."""
    what = f"offer {offer.offer_id}" if offer is not None else f"rule {rule.rule_id}"
    condition = CelPredicate(rule.condition, f"{what} condition")
    lines = rule.effect.lines if isinstance(rule.effect, PointsPerAmount | LinePoints) else None
    line_filter = None if lines is None else CelPredicate(lines, f"{what} lines")
    return Compiled(rule=rule, condition=condition, line_filter=line_filter, offer=offer)


def compile_offer(offer: Offer) -> Compiled:
    return compile_rule(offer.to_rule(), offer)


# A new member's facts: what an audience's condition is tried on before it is saved.
_A_MEMBER = MemberState("a-member").facts(datetime(2026, 1, 1, tzinfo=UTC))


def compile_audience(audience: Audience) -> CelPredicate:
    """An audience's condition, over ``member``; ExpressionError if it reads anything else."""
    where = f"audience {audience.audience_id} condition"
    return compile_member_condition(audience.condition, where)


def compile_member_condition(source: str, where: str) -> CelPredicate:
    """A condition over ``member`` only (an audience's, a ladder stage's); ExpressionError if
    it reads anything else or is not true or false for a member."""
    predicate = CelPredicate(source, where)
    if other := sorted(set(predicate.variables) - {"member"}):
        raise ExpressionError(f"{where}: only member facts can be used, not {', '.join(other)}")
    predicate({"member": _A_MEMBER})
    return predicate


def compile_challenge(challenge: Challenge) -> CelPredicate:
    """Which events count as a step: a condition over the event's facts, as a rule's."""
    return CelPredicate(challenge.condition, f"challenge {challenge.challenge_id} condition")
