"""Custom attributes: what a sender adds beside an event's known fields."""

import re
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from shared.contracts.json import dumps_column

# Custom attributes: fields a sender adds beside the known ones (a till's `cashier_id`, a
# line's `brand`), kept with the event and reachable from rule conditions as `data.<name>` and
# `line.attributes.<name>`. Known fields keep their strict validation; custom ones are checked
# only for their names, number, size and depth.
CUSTOM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_CUSTOM = 50
MAX_CUSTOM_BYTES = 8 * 1024
MAX_CUSTOM_DEPTH = 4


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


class OpenPayload(BaseModel):
    """A payload that takes custom attributes beside its known fields."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="after")
    def _custom_attributes(self) -> Self:
        custom = self.model_extra or {}
        if len(custom) > MAX_CUSTOM:
            raise ValueError(f"at most {MAX_CUSTOM} custom attributes, not {len(custom)}")
        for name, value in custom.items():
            if not CUSTOM_NAME.match(name):
                raise ValueError(
                    f"custom attribute {name[:70]!r}: a name is a letter or _, then letters, "
                    "digits or _, at most 64 in all (rules reach it as data.<name>)"
                )
            if _depth(value) > MAX_CUSTOM_DEPTH:
                raise ValueError(f"custom attribute {name!r} nests deeper than {MAX_CUSTOM_DEPTH}")
        if custom and len(dumps_column(custom).encode()) > MAX_CUSTOM_BYTES:
            raise ValueError(f"custom attributes take at most {MAX_CUSTOM_BYTES} bytes as JSON")
        return self
