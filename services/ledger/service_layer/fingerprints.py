"""A request's fingerprint: kept with its operation id, so a repeat of the same request is
recognised and a different request under the same id is refused."""

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def fingerprint(command: object) -> str:
    """The SHA-256 of the command as canonical JSON. The text is the one
    ``json.dumps(dataclasses.asdict(command), sort_keys=True, default=str)`` gives (stored
    fingerprints stay valid), built without ``asdict``'s deep copy of every value, and without
    fields marked ``{"fingerprint": False}`` (how to tell the member, not what was asked)."""
    canonical = json.dumps(_plain(command), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_FIELDS: dict[type, tuple[str, ...]] = {}
# What json.dumps writes as it is (or through default=str): nothing to look into.
_SCALARS = frozenset({str, int, float, bool, type(None), datetime, date, Decimal})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(
            f.name for f in dataclasses.fields(value) if f.metadata.get("fingerprint", True)
        )
    if names is not None:
        plain = {}
        for name in names:
            field = getattr(value, name)
            plain[name] = field if type(field) in _SCALARS else _plain(field)
        return plain
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    return value
