"""The three services, as the console reaches them: their public HTTP APIs, called with the
signed-in manager's own key, each call limited to the scope it needs (``X-Scope-Limit``). A
service that does not answer is *down* for the page that needs it; the rest of the console
keeps working."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from services.console.settings import ConsoleSettings

# The scopes a manager's call asks for (shared.auth's names; the console imports no service
# code, and these are part of the services' public HTTP contract).
ADMIN = "admin"
REPORTS = "reports:read"
MEMBERS_READ = "members:read"


class ServiceDown(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is not answering")
        self.service = service


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def problem(self) -> str:
        """What the service said was wrong, in its own words; a schema error names each
        field."""
        body = self.body
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            return "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', []) if p != 'body')}: {e.get('msg')}"
                for e in body["errors"]
            )
        if isinstance(body, dict):
            return str(body.get("detail") or body.get("title") or body)
        return str(body)[:300]


class Backends:
    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(timeout=10)

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        key: str | None = None,
        scope: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Answer:
        """As the manager (``key``, acting with only ``scope``, what this call needs: the
        service refuses anything else, whatever the key may do) or the member (``token``:
        their own data only)."""
        if key is not None:
            if not scope:
                raise ValueError("a call with the manager's key names the scope it needs")
            sent = {"X-API-Key": key, "X-Scope-Limit": scope}
        else:
            sent = {"Authorization": f"Bearer {token}"}
        try:
            response = await self._client.request(
                method,
                f"{self._settings.url(service)}{path}",
                headers={**sent, **(headers or {})},
                **kwargs,
            )
        except httpx.TransportError as exc:
            raise ServiceDown(service) from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    async def read(
        self, service: str, path: str, *, down: list[str], **kwargs: Any
    ) -> Answer | None:
        """A GET for one part of a page: None when the service is down (named in ``down``,
        and the page says so), so the parts the other services answer are still shown. A
        page or form that cannot do without its service uses :meth:`call`: ``ServiceDown``
        is then answered by the console's one handler."""
        try:
            return await self.call(service, "GET", path, **kwargs)
        except ServiceDown:
            down.append(service)
            return None

    async def ready(self, service: str) -> bool:
        try:
            response = await self._client.get(f"{self._settings.url(service)}/readyz")
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def metrics(self, service: str) -> str | None:
        """The service's Prometheus metrics (public, like readiness); None when it is down."""
        try:
            response = await self._client.get(f"{self._settings.url(service)}/metrics")
        except httpx.TransportError:
            return None
        return response.text if response.status_code == 200 else None

    async def close(self) -> None:
        await self._client.aclose()


def path_segment(value: str) -> str:
    """A value as one segment of a service's URL path: what a form or a token carried can
    never reach another route."""
    return quote(value, safe="")
