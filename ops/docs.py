"""The reference tables of the docs site, generated from what they describe so they cannot
drift: every setting from the settings classes, every route from the services' OpenAPI
documents, every event from the AsyncAPI document. The site's hook (``deploy/docs/hooks.py``)
puts each where a page says ``<!-- generated: settings -->`` (``routes``, ``events``)."""

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from services.console.settings import ConsoleSettings
from services.ledger.settings import LedgerSettings
from services.notifications.settings import NotificationsSettings
from services.rules.settings import RulesSettings
from shared.contracts.asyncapi import document as asyncapi_document
from shared.settings import AuthSettings, KafkaSettings, ServiceSettings

SERVICES: tuple[type[ServiceSettings], ...] = (RulesSettings, LedgerSettings, NotificationsSettings)
# (heading, class, prefix): every settings class, with the variables' prefix.
SETTINGS: tuple[tuple[str, type[BaseSettings], str], ...] = (
    ("Every service (`RULES_`, `LEDGER_`, `NOTIFICATIONS_`)", ServiceSettings, "<SERVICE>_"),
    ("Rules", RulesSettings, "RULES_"),
    ("Ledger", LedgerSettings, "LEDGER_"),
    ("Notifications", NotificationsSettings, "NOTIFICATIONS_"),
    ("Kafka (every service)", KafkaSettings, "KAFKA_"),
    ("Keys and member tokens (every service)", AuthSettings, "AUTH_"),
    ("Console", ConsoleSettings, "CONSOLE_"),
)
# Read outside the settings classes.
OTHER_VARIABLES = (
    (
        "ACCESS_LOG",
        "errors",
        "requests the access log names: errors (400 and up, or slower than a second), all, off",
    ),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "none (tracing off)", "export spans over OTLP/HTTP"),
)


def variables() -> Iterator[tuple[str, str, str, str]]:
    """(heading, variable, default, meaning) of every setting."""
    for heading, cls, prefix in SETTINGS:
        for name, info in own_fields(cls).items():
            yield heading, f"{prefix}{name}".upper(), _default(info), info.description or ""
    for variable, default, meaning in OTHER_VARIABLES:
        yield "Elsewhere", variable, default, meaning


def own_fields(cls: type[BaseSettings]) -> dict[str, FieldInfo]:
    """A service's own settings (and those it sets apart from every service's)."""
    if cls is ServiceSettings or not issubclass(cls, ServiceSettings):
        return dict(cls.model_fields)
    shared = ServiceSettings.model_fields
    return {
        name: info
        for name, info in cls.model_fields.items()
        if name not in shared or info.default != shared[name].default
    }


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_markdown() -> str:
    lines: list[str] = []
    heading = None
    for section, variable, default, meaning in variables():
        if section != heading:
            heading = section
            lines += ["", f"### {section}", "", "| variable | default | meaning |", "|---|---|---|"]
        lines.append(f"| `{variable}` | {default} | {_cell(meaning)} |")
    return "\n".join(lines).strip() + "\n"


def service_apps() -> dict[str, Callable[[], FastAPI]]:
    from services.ledger.bootstrap import build_app as ledger_app
    from services.notifications.bootstrap import build_app as notifications_app
    from services.rules.bootstrap import build_app as rules_app

    return {"rules": rules_app, "ledger": ledger_app, "notifications": notifications_app}


def routes() -> Iterator[tuple[str, str, str, str, str]]:
    """(service, method, path, scope or who, summary) of every route of the three APIs."""
    for service, build in service_apps().items():
        schema = build().openapi()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                summary = operation.get("description") or operation.get("summary") or ""
                yield service, method.upper(), path, _tags(operation), summary.split("\n\n")[0]


def _tags(operation: dict[str, Any]) -> str:
    return ", ".join(operation.get("tags", []))


def routes_markdown() -> str:
    lines: list[str] = []
    current = None
    for service, method, path, tags, summary in routes():
        if service != current:
            current = service
            lines += [
                "",
                f"### {service.capitalize()} (`/openapi.json`, `/docs`)",
                "",
                "| route | group | what it does |",
                "|---|---|---|",
            ]
        lines.append(f"| `{method} {path}` | {tags} | {_cell(summary)} |")
    return "\n".join(lines).strip() + "\n"


def events() -> Iterator[tuple[str, str, str, str]]:
    """(type, topic, summary, payload fields) of every message in the AsyncAPI document."""
    document = asyncapi_document()
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]
    for channel in document["channels"].values():
        for ref in channel["messages"].values():
            message = messages[ref["$ref"].rsplit("/", 1)[1]]
            data = _data_schema(message, schemas)
            about = (data or {}).get("description") or message.get("description") or ""
            yield message["name"], channel["address"], about.split("\n\n")[0], _fields(data)


def _data_schema(message: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    payload = message.get("payload", {})
    for part in payload.get("allOf", [payload]):
        ref = part.get("properties", {}).get("data", {}).get("$ref")
        if ref:
            found: dict[str, Any] = schemas.get(ref.rsplit("/", 1)[1], {})
            return found
    return None


def _fields(schema: dict[str, Any] | None) -> str:
    if schema is None:
        return "the message as it was sent, unchanged"
    required = set(schema.get("required", []))
    return ", ".join(
        f"`{name}`" + ("" if name in required else "?") for name in schema.get("properties", {})
    )


def events_markdown() -> str:
    lines = ["| type | topic | data | about |", "|---|---|---|---|"]
    for name, topic, summary, fields in events():
        lines.append(f"| `{name}` | `{topic}` | {fields} | {_cell(summary)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


GENERATED: dict[str, Callable[[], str]] = {
    "settings": settings_markdown,
    "routes": routes_markdown,
    "events": events_markdown,
}


def expand(markdown: str) -> str:
    """The page with each ``<!-- generated: NAME -->`` replaced by its table."""
    for name, make in GENERATED.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


if __name__ == "__main__":  # python -m ops.docs: the tables, to read them in a terminal
    print(json.dumps({name: make() for name, make in GENERATED.items()}, indent=1))
