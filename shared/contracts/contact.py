"""How a member can be reached, written one way everywhere, so a manager's search finds it:
an email address in lower case, a phone number in international form (E.164: ``+`` and
the digits, no spaces)."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_PHONE = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalized_phone(value: str) -> str:
    """``+45 12 34 56 78``, ``+45-1234-5678`` → ``+4512345678``; ValueError otherwise."""
    digits = _SEPARATORS.sub("", value)
    if not _PHONE.fullmatch(digits):
        raise ValueError(
            "a phone number in international form: + and the country code, e.g. +45 12 34 56 78"
        )
    return digits


def normalized_email(value: str) -> str:
    return value.strip().lower()


# What normalized_phone takes, as a schema can say it: + and the country code, then digits with
# spaces, dashes, dots or brackets between them.
PHONE_PATTERN = r"^\+[\s().-]*[1-9](?:[\s().-]*\d){6,14}[\s().-]*$"
Phone = Annotated[
    str,
    # The pattern is stated for the schema; the validator checks it, and says it in words.
    Field(
        min_length=8,
        max_length=40,
        examples=["+45 12 34 56 78"],
        json_schema_extra={"pattern": PHONE_PATTERN},
    ),
    AfterValidator(normalized_phone),
]
