"""A direct evaluator for the simple CEL conditions most programs are made of.

``member.tier == "gold"``, ``"dairy" in purchase.categories``, ``size(purchase.categories) >= 3``,
``"organic" in line.tags || "local" in line.tags``: comparisons of a fact with a literal,
membership, ``size``, joined by ``&&``, ``||`` and ``!``. Converting an event's facts to CEL's
values cost more than everything else the rules do; these expressions need no conversion.

It is a shortcut, never a second language: an expression outside this small grammar is not
compiled here (``compile_simple`` returns None) and CEL evaluates it. Where CEL's answer could
differ from Python's (values of different types, ordering of strings, integers beyond 64 bits,
a missing field) the evaluator gives up (``UNSURE``) and the caller asks CEL, so every answer
given is the one CEL gives. A test compares both on random expressions and facts.
"""

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

UNSURE: Final = object()  # "ask CEL": the value of anything this evaluator will not decide

Evaluator = Callable[[Mapping[str, Any]], Any]  # facts -> True, False or UNSURE

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
      | (?P<number>\d+\.\d+(?![\w.])|\d+(?![\w.]))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().\[\],])
    )""",
    re.VERBOSE,
)
_INT64 = 2**63
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _Unsupported(Exception):
    pass


def compile_simple(source: str) -> Evaluator | None:
    """The expression as a Python function of the facts, or None if it is not simple."""
    try:
        tokens = _tokens(source)
        parser = _Parser(tokens)
        evaluator = parser.disjunction()
        if parser.position != len(tokens):
            return None
        return evaluator
    except _Unsupported:
        return None


def _tokens(source: str) -> list[tuple[str, str]]:
    found, position = [], 0
    source = source.rstrip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise _Unsupported
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _kind(value: Any) -> type | None:
    """What a value compares as, for the values this evaluator decides on: CEL compares ints
    and doubles by their numeric value (exactly, as Python does), so both are ``float``."""
    if value is None or isinstance(value, bool | str):
        return type(value)
    if isinstance(value, float):
        return float
    if isinstance(value, int):
        return float if -_INT64 <= value < _INT64 else None
    return None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, text: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None or (text is not None and token[1] != text):
            raise _Unsupported
        self.position += 1
        return token

    def disjunction(self) -> Evaluator:
        parts = [self.conjunction()]
        while self._peek() == ("op", "||"):
            self._take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def conjunction(self) -> Evaluator:
        parts = [self.unary()]
        while self._peek() == ("op", "&&"):
            self._take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def unary(self) -> Evaluator:
        if self._peek() == ("op", "!"):
            self._take()
            return _not(self.unary())
        return self.comparison()

    def comparison(self) -> Evaluator:
        left = self.term()
        token = self._peek()
        if token is None or token[1] not in ("==", "!=", "<", "<=", ">", ">=", "in"):
            return _boolean(left)
        self._take()
        right = self.term()
        if token[1] == "in":
            return _member_of(left, right)
        if token[1] in ("==", "!="):
            return _equal(left, right, negate=token[1] == "!=")
        return _ordered(left, right, _ORDER[token[1]])

    def term(self) -> Evaluator:
        kind, text = self._take()
        if kind == "string":
            value: Any = text[1:-1]
            return lambda facts: value
        if kind == "number":
            value = float(text) if "." in text else int(text)
            return lambda facts: value
        if (kind, text) == ("op", "("):
            inner = self.disjunction()
            self._take(")")
            return inner
        if (kind, text) == ("op", "["):
            return self._list()
        if kind != "name" or text == "in":
            raise _Unsupported
        if text in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[text]
            return lambda facts: value
        if self._peek() == ("op", "("):
            if text != "size":
                raise _Unsupported
            self._take("(")
            inner = self.term()
            self._take(")")
            return _size(inner)
        path = [text]
        while self._peek() == ("op", "."):
            self._take()
            name_kind, name = self._take()
            if name_kind != "name":
                raise _Unsupported
            path.append(name)
        return _path(tuple(path))

    def _list(self) -> Evaluator:
        items: list[Any] = []
        while True:
            kind, text = self._take()
            if kind == "string":
                items.append(text[1:-1])
            elif kind == "number":
                items.append(float(text) if "." in text else int(text))
            else:
                raise _Unsupported  # only lists of literals
            if self._take()[1] == "]":
                break
            self.position -= 1
            self._take(",")
        constant = tuple(items)
        return lambda facts: constant


def _path(path: tuple[str, ...]) -> Evaluator:
    def resolve(facts: Mapping[str, Any]) -> Any:
        value: Any = facts
        for name in path:
            # Facts are dicts (a plain isinstance: the Mapping ABC's check cost more)
            if not isinstance(value, dict) or name not in value:
                return UNSURE  # CEL: an undefined variable or a missing key
            value = value[name]
        return value

    return resolve


def _size(inner: Evaluator) -> Evaluator:
    def size(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        # The CEL engine counts a string's UTF-8 bytes, not its characters: ASCII only here.
        if isinstance(value, list | tuple | dict) or (isinstance(value, str) and value.isascii()):
            return len(value)
        return UNSURE

    return size


def _equal(left: Evaluator, right: Evaluator, *, negate: bool) -> Evaluator:
    def equal(facts: Mapping[str, Any]) -> Any:
        a, b = left(facts), right(facts)
        kind = _kind(a)
        if kind is None or kind is not _kind(b):
            return UNSURE  # another type, a list, a map: CEL decides
        return (a != b) if negate else (a == b)

    return equal


def _ordered(left: Evaluator, right: Evaluator, compare: Callable[[Any, Any], bool]) -> Evaluator:
    def ordered(facts: Mapping[str, Any]) -> Any:
        a, b = left(facts), right(facts)
        kind = _kind(a)
        if kind is not float or _kind(b) is not float:
            return UNSURE
        return compare(a, b)

    return ordered


def _member_of(left: Evaluator, right: Evaluator) -> Evaluator:
    def member_of(facts: Mapping[str, Any]) -> Any:
        needle, haystack = left(facts), right(facts)
        kind = _kind(needle)
        if kind is None or not isinstance(haystack, list | tuple):
            return UNSURE
        if any(_kind(item) is not kind for item in haystack):
            return UNSURE
        return needle in haystack

    return member_of


def _boolean(inner: Evaluator) -> Evaluator:
    def boolean(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        return value if isinstance(value, bool) else UNSURE

    return boolean


def _not(inner: Evaluator) -> Evaluator:
    def negation(facts: Mapping[str, Any]) -> Any:
        value = inner(facts)
        return (not value) if isinstance(value, bool) else UNSURE

    return negation


def _all_of(parts: list[Evaluator]) -> Evaluator:
    return _joined(parts, absorbing=False)


def _any_of(parts: list[Evaluator]) -> Evaluator:
    return _joined(parts, absorbing=True)


def _joined(parts: list[Evaluator], *, absorbing: bool) -> Evaluator:
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
