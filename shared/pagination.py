"""Opaque cursors over an increasing integer key, for newest-first pages."""

import base64


class InvalidCursor(ValueError):
    pass


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError as exc:
        raise InvalidCursor("the cursor is not one this API returned") from exc
