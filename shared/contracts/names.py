"""Names and texts people write for members to read (a tier, a rule, a reward, a message):
printable, so a wallet never shows garbage. A name is one line; a text may break lines."""

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

# Validation context of a spec read back from a service's own database: what was saved before
# this check existed is read as it was (a rule book must load), only new saves are checked.
STORED = {"stored": True}


def _printable(kind: str, allowed: frozenset[str]) -> Callable[[str, ValidationInfo], str]:
    """A validator refusing control characters but ``allowed`` (not in a stored spec)."""

    def check(value: str, info: ValidationInfo) -> str:
        if info.context and info.context.get("stored"):
            return value
        found = [
            f"U+{ord(c):04X}"
            for c in value
            if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029") and c not in allowed
        ]
        if found:
            raise ValueError(f"a {kind} cannot hold control characters ({', '.join(found[:5])})")
        return value

    return check


def _checked(
    pattern: str, validator: Callable[[str, ValidationInfo], str]
) -> Callable[[int, int], type[str]]:
    """The type of such strings, from ``min_length`` to ``max_length``; ``pattern`` states in
    the schema what the validator refuses (JSON Schema patterns are ECMA regexes)."""

    def of(max_length: int, min_length: int = 1) -> type[str]:
        return Annotated[  # type: ignore[return-value]
            str,
            Field(
                min_length=min_length,
                max_length=max_length,
                json_schema_extra={"pattern": pattern},
            ),
            AfterValidator(validator),
        ]

    return of


# A one-line name of printable characters; a text may also break lines (and hold tabs).
Name = _checked(r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$", _printable("name", frozenset()))
Text = _checked(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$",
    _printable("text", frozenset("\n\r\t")),
)
