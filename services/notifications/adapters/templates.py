"""Notification texts as Jinja2 templates that admins edit: sandboxed (a template reaches only
the values it is given), autoescaped for the HTML of emails."""

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class InvalidTemplate(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    text: str
    html: str


def check(title: str, body: str) -> None:
    """Refuse a template that does not parse; the message says where."""
    for source in (title, body):
        try:
            _TEXT.parse(source)
        except TemplateError as exc:
            raise InvalidTemplate(f"line {getattr(exc, 'lineno', '?')}: {exc}") from exc


def render(title: str, body: str, values: dict[str, Any]) -> Rendered:
    try:
        return Rendered(
            title=_TEXT.from_string(title).render(values).strip(),
            text=_TEXT.from_string(body).render(values).strip(),
            html=_HTML.from_string("<p>" + body.replace("\n\n", "</p><p>") + "</p>").render(values),
        )
    except TemplateError as exc:
        raise InvalidTemplate(str(exc)) from exc
