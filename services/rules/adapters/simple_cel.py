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
from typing import Any

from services.rules.adapters.simple_cel_evaluators import (
    UNSURE,
    Evaluator,
    all_of,
    any_of,
    boolean,
    equal,
    fact,
    member_of,
    negated,
    ordered,
    size,
)

__all__ = ["UNSURE", "Evaluator", "compile_simple"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
      | (?P<number>\d+\.\d+(?![\w.])|\d+(?![\w.]))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().\[\],])
    )""",
    re.VERBOSE,
)
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
        return parts[0] if len(parts) == 1 else any_of(parts)

    def conjunction(self) -> Evaluator:
        parts = [self.unary()]
        while self._peek() == ("op", "&&"):
            self._take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else all_of(parts)

    def unary(self) -> Evaluator:
        if self._peek() == ("op", "!"):
            self._take()
            return negated(self.unary())
        return self.comparison()

    def comparison(self) -> Evaluator:
        left = self.term()
        token = self._peek()
        if token is None or token[1] not in ("==", "!=", "<", "<=", ">", ">=", "in"):
            return boolean(left)
        self._take()
        right = self.term()
        if token[1] == "in":
            return member_of(left, right)
        if token[1] in ("==", "!="):
            return equal(left, right, negate=token[1] == "!=")
        return ordered(left, right, _ORDER[token[1]])

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
            return size(inner)
        path = [text]
        while self._peek() == ("op", "."):
            self._take()
            name_kind, name = self._take()
            if name_kind != "name":
                raise _Unsupported
            path.append(name)
        return fact(tuple(path))

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
