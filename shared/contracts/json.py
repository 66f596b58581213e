"""Exact JSON: numbers with a fraction become Decimal, never float, so money stays exact."""

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import orjson


class JsonDecodeError(ValueError):
    """The bytes are not a JSON document."""


# msgspec hands every number with a fraction or exponent to Decimal as its text: exact, and
# several times faster than the standard library (this parses every message of every topic).
_EXACT = msgspec.json.Decoder(float_hook=Decimal)


def loads_exact(raw: bytes | str) -> Any:
    """Strict JSON (RFC 8259): no NaN, no byte order mark, no unpaired surrogates."""
    try:
        return _EXACT.decode(raw)
    except msgspec.DecodeError as exc:
        raise JsonDecodeError(f"not valid JSON: {exc}") from exc


class JsonText(str):
    """A JSON column's value already encoded (by a faster encoder of its own): written as it
    is."""


def dumps_column(value: Any) -> str:
    """A JSON column's text (orjson: the services write such a column for every event).
    Integers beyond 64 bits are refused (TypeError): the services' values never reach them.
    :class:`JsonText` is written as it is."""
    if isinstance(value, JsonText):
        return str(value)  # (a plain str: drivers and orjson take no subclass)
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def loads_column(text: str | bytes) -> Any:
    return orjson.loads(text)


def json_time(moment: datetime) -> str:
    """A time as pydantic writes it in JSON: ISO 8601, UTC as ``Z`` (what a message built
    without its model must carry to be the model's, byte for byte)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
