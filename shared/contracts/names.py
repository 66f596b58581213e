"""Names and texts people write for members to read (a tier, a rule, a reward, a message):
printable, so a wallet never shows garbage. A name is one line; a text may break lines."""

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

_LINE_BREAKS = frozenset("\n\r\t")


def _controls(value: str, allowed: frozenset[str]) -> list[str]:
    return [
        f"U+{ord(c):04X}"
        for c in value
        if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029") and c not in allowed
    ]


# Validation context of a spec read back from a service's own database: what was saved before
# this check existed is read as it was (a rule book must load), only new saves are checked.
STORED = {"stored": True}


def one_line(value: str, info: ValidationInfo) -> str:
    if _stored(info):
        return value
    if found := _controls(value, frozenset()):
        raise ValueError(f"a name cannot hold control characters ({', '.join(found[:5])})")
    return value


def printable_text(value: str, info: ValidationInfo) -> str:
    if _stored(info):
        return value
    if found := _controls(value, _LINE_BREAKS):
        raise ValueError(f"a text cannot hold control characters ({', '.join(found[:5])})")
    return value


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


# What the validators refuse, stated in the schema (JSON Schema patterns are ECMA regexes).
_NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$"


def Name(max_length: int, min_length: int = 1) -> type[str]:  # noqa: N802 - used as a type
    """A one-line name of ``min_length`` to ``max_length`` printable characters."""
    return Annotated[  # type: ignore[return-value]
        str,
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": _NAME_PATTERN},
        ),
        AfterValidator(one_line),
    ]


def Text(max_length: int, min_length: int = 1) -> type[str]:  # noqa: N802
    """A text of printable characters and line breaks."""
    return Annotated[  # type: ignore[return-value]
        str,
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": _TEXT_PATTERN},
        ),
        AfterValidator(printable_text),
    ]
