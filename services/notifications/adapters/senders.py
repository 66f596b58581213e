"""The outside world: email over SMTP and push through the customer's webhook. Each turns a
failure into a DeliveryError that says whether retrying can help."""

import hashlib
import hmac
import json
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from services.notifications.domain.deliveries import Delivery, DeliveryError


class Sender(Protocol):
    async def send(self, delivery: Delivery, *, unsubscribe_url: str) -> None: ...


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host, self._port, self._from, self._timeout = host, port, sender, timeout
        self._tls, self._username, self._password = use_tls, username, password

    async def send(self, delivery: Delivery, *, unsubscribe_url: str) -> None:
        message = EmailMessage()
        message["From"], message["To"] = self._from, delivery.address
        message["Subject"] = delivery.subject
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        message["X-Pointstream-Delivery"] = delivery.delivery_id
        # The same id on every attempt: a message sent again after a crash (sent, then the
        # replica died before recording it) is recognisably the same message.
        message["Message-ID"] = f"<{delivery.delivery_id}@pointstream>"
        message.set_content(delivery.body)
        if delivery.html:
            message.add_alternative(delivery.html, subtype="html")
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
                use_tls=self._tls,
                username=self._username,
                password=self._password,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.code}: {exc.message}", transient=400 <= exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP unreachable: {exc}", transient=True) from exc


class WebhookSender:
    """POSTs the push to the customer's provider, signed with HMAC-SHA256 over the body."""

    def __init__(self, *, url: str, secret: str, timeout: float = 5) -> None:
        self._url, self._secret, self._timeout = url, secret.encode(), timeout

    async def send(self, delivery: Delivery, *, unsubscribe_url: str) -> None:
        body = json.dumps(
            {
                "delivery_id": delivery.delivery_id,
                "member_id": delivery.member_id,
                "token": delivery.address,
                "title": delivery.subject,
                "body": delivery.body,
                "kind": delivery.kind,
            }
        ).encode()
        signature = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Pointstream-Signature": f"sha256={signature}",
            "Idempotency-Key": delivery.delivery_id,
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise DeliveryError(f"push webhook unreachable: {exc!r}", transient=True) from exc
        if response.status_code >= 300:
            transient = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryError(
                f"push webhook answered {response.status_code}", transient=transient
            )
