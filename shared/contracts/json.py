"""Exact JSON: numbers with a fraction become Decimal, never float, so money stays exact."""

import json
from decimal import Decimal
from typing import Any

import orjson


class JsonDecodeError(ValueError):
    """The bytes are not a JSON document."""


def loads_exact(raw: bytes | str) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonDecodeError(f"not valid JSON: {exc}") from exc


def dumps_column(value: Any) -> str:
    """A JSON column's text (orjson: the services write such a column for every event).
    Integers beyond 64 bits are refused (TypeError): the services' values never reach them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def loads_column(text: str | bytes) -> Any:
    return orjson.loads(text)
