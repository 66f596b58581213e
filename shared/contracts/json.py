"""Exact JSON: numbers with a fraction become Decimal, never float, so money stays exact."""

import json
from decimal import Decimal
from typing import Any


class JsonDecodeError(ValueError):
    """The bytes are not a JSON document."""


def loads_exact(raw: bytes | str) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonDecodeError(f"not valid JSON: {exc}") from exc
