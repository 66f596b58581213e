"""The evaluators :mod:`services.rules.adapters.simple_cel` compiles an expression into: each
answers as CEL would, or ``UNSURE`` where CEL's answer could differ (see that module)."""

from collections.abc import Callable, Mapping
from typing import Any, Final

UNSURE: Final = object()  # "ask CEL": the value of anything this evaluator will not decide

Evaluator = Callable[[Mapping[str, Any]], Any]  # facts -> True, False or UNSURE
_INT64 = 2**63


def kind_of(value: Any) -> type | None:
    """What a value compares as, for the values this evaluator decides on: CEL compares ints
    and doubles by their numeric value (exactly, as Python does), so both are ``float``."""
    if value is None or isinstance(value, bool | str):
        return type(value)
    if isinstance(value, float):
        return float
    if isinstance(value, int):
        return float if -_INT64 <= value < _INT64 else None
    return None


def fact(path: tuple[str, ...]) -> Evaluator:
    def resolve(facts: Mapping[str, Any]) -> Any:
        value: Any = facts
        for name in path:
            # Facts are dicts (a plain isinstance: the Mapping ABC's check cost more)
            if not isinstance(value, dict) or name not in value:
                return UNSURE  # CEL: an undefined variable or a missing key
            value = value[name]
        return value

    return resolve


def size(inner: Evaluator) -> Evaluator:
    def size(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        # The CEL engine counts a string's UTF-8 bytes, not its characters: ASCII only here.
        if isinstance(value, list | tuple | dict) or (isinstance(value, str) and value.isascii()):
            return len(value)
        return UNSURE

    return size


def equal(left: Evaluator, right: Evaluator, *, negate: bool) -> Evaluator:
    def equal(facts: Mapping[str, Any]) -> Any:
        a, b = left(facts), right(facts)
        kind = kind_of(a)
        if kind is None or kind is not kind_of(b):
            return UNSURE  # another type, a list, a map: CEL decides
        return (a != b) if negate else (a == b)

    return equal


def ordered(left: Evaluator, right: Evaluator, compare: Callable[[Any, Any], bool]) -> Evaluator:
    def ordered(facts: Mapping[str, Any]) -> Any:
        a, b = left(facts), right(facts)
        kind = kind_of(a)
        if kind is not float or kind_of(b) is not float:
            return UNSURE
        return compare(a, b)

    return ordered


def member_of(left: Evaluator, right: Evaluator) -> Evaluator:
    def member_of(facts: Mapping[str, Any]) -> Any:
        needle, haystack = left(facts), right(facts)
        if type(needle) is str and (type(haystack) is list or type(haystack) is tuple):
            for item in haystack:  # (a string among strings, as tags are: no kind_of calls)
                if type(item) is not str:
                    break
            else:
                return needle in haystack
        kind = kind_of(needle)
        if kind is None or not isinstance(haystack, list | tuple):
            return UNSURE
        if any(kind_of(item) is not kind for item in haystack):
            return UNSURE
        return needle in haystack

    return member_of


def boolean(inner: Evaluator) -> Evaluator:
    def boolean(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        return value if isinstance(value, bool) else UNSURE

    return boolean


def negated(inner: Evaluator) -> Evaluator:
    def negation(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        return (not value) if isinstance(value, bool) else UNSURE

    return negation


def all_of(parts: list[Evaluator]) -> Evaluator:
    return joined(parts, absorbing=False)


def any_of(parts: list[Evaluator]) -> Evaluator:
    return joined(parts, absorbing=True)


def joined(parts: list[Evaluator], *, absorbing: bool) -> Evaluator:
    """``&&`` (absorbing: false) or ``||`` (absorbing: true). As in CEL, the absorbing value
    decides even when another part is unsure (an error); otherwise unsure stays unsure."""

    def joined(facts: Mapping[str, Any]) -> Any:
        unsure = False
        for part in parts:
            value = part(facts)
            if value is absorbing:
                return absorbing
            if value is not (not absorbing):
                unsure = True
        return UNSURE if unsure else not absorbing

    return joined
