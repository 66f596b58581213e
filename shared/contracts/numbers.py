"""Exact decimals as the HTTP contract states them: a JSON string such as "249.90" (or, for
callers that cannot, a JSON number), with the string's form stated by a pattern that says as
much as the validator checks (sign, digits, places), so that a request the schema allows is
never refused for the form of a number."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, WithJsonSchema


def DecimalText(  # noqa: N802 - used as a type, as pydantic's are
    pattern: str,
    *,
    places: int | None = None,
    description: str | None = None,
    **bounds: Any,
) -> Any:
    """A decimal whose string form matches ``pattern`` (anchored), within ``bounds`` (ge, gt,
    le, lt: Decimal); the pattern must not let through a string the bounds refuse."""
    compiled = re.compile(pattern)

    def form(value: object) -> object:
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a number as this field takes it: digits, a point as the "
                "decimal mark (12.50), no sign or exponent, within the field's digits and places"
            )
        if isinstance(value, bool):
            raise ValueError("a number, not true or false")
        return value

    number: dict[str, Any] = {"type": "number"}
    for key, name in (
        ("ge", "minimum"),
        ("gt", "exclusiveMinimum"),
        ("le", "maximum"),
        ("lt", "exclusiveMaximum"),
    ):
        if key in bounds:
            number[name] = float(bounds[key])
    if places is not None:
        number["multipleOf"] = float(Decimal(1).scaleb(-places))
        bounds["decimal_places"] = places
    schema: dict[str, Any] = {"anyOf": [{"type": "string", "pattern": f"^{pattern}$"}, number]}
    if description:
        schema["description"] = description
    return Annotated[
        Decimal,
        BeforeValidator(form),
        Field(allow_inf_nan=False, **bounds),
        WithJsonSchema(schema),
    ]


def non_negative_pattern(digits: int, places: int) -> str:
    """At most ``digits`` before the point and ``places`` after."""
    return rf"\d{{1,{digits}}}(\.\d{{1,{places}}})?"


def positive_pattern(digits: int, places: int) -> str:
    """Greater than zero, at most ``digits`` before the point and ``places`` after."""
    whole = rf"0*[1-9]\d{{0,{digits - 1}}}(\.\d{{1,{places}}})?"
    fraction = rf"0*\.0{{0,{places - 1}}}[1-9]\d{{0,{places - 1}}}"
    return rf"({whole}|{fraction})"


def _whole(value: object) -> object:
    """An integer as JSON Schema has it: a number with no fraction (5 or 5.0), never a string
    or true/false (pydantic would take "5" and true)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer")
    return value


def _written(value: object) -> object:
    """A time written as JSON writes it, a string (pydantic would take a number of seconds)."""
    if not isinstance(value, str | datetime):
        raise ValueError("a date and time such as 2026-12-03T10:00:00Z")
    return value


INTEGER = BeforeValidator(_whole)
Whole = Annotated[int, INTEGER]
# (An optional bounded integer is written Annotated[int, Field(...bounds), INTEGER] | None: the
# bounds before the validator, or pydantic leaves them out of the JSON Schema.)
Moment = Annotated[AwareDatetime, BeforeValidator(_written)]
