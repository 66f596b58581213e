"""A real SMTP server's mailbox for the tests (aiosmtpd's handler interface)."""

import time
from email import message_from_bytes, policy
from email.message import Message
from typing import Any


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.received: list[float] = []  # time.monotonic() of each message, in step

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(time.monotonic())
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]
