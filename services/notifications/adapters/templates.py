"""Notification texts as Jinja2 templates that admins edit: sandboxed (a template reaches only
the values it is given), autoescaped for the HTML of emails."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from html import escape
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from shared.wording import day, grouped

_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@pass_context
def _number(context: Context, value: object) -> str:
    """``{{ points|number }}``: grouped as the message's language writes numbers."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return str(value)
    return grouped(value, context.get("language"))


@pass_context
def _day(context: Context, value: object) -> str:
    """``{{ expires_at|day }}``: the day as the message's language writes it."""
    try:
        return day(str(value), context.get("language"))
    except (ValueError, IndexError):
        return str(value)


for _environment in (_TEXT, _HTML):
    _environment.filters["number"] = _number
    _environment.filters["day"] = _day


class InvalidTemplate(ValueError):
    pass


@dataclass
class Rendered:
    """A notice's title and text; its HTML (emails only) is rendered when first asked for."""

    title: str
    text: str
    _body: str
    _values: dict[str, Any]

    @cached_property
    def html(self) -> str:
        try:
            return _compiled(self._body, html=True).render(self._values)
        except TemplateError:  # the text rendered, so this is unlikely: send the text as HTML
            return "<p>" + escape(self.text).replace("\n\n", "</p><p>") + "</p>"


def check(title: str, body: str) -> None:
    """Refuse a template that does not parse; the message says where."""
    for source in (title, body):
        try:
            _TEXT.parse(source)
        except TemplateError as exc:
            raise InvalidTemplate(f"line {getattr(exc, 'lineno', '?')}: {exc}") from exc


@lru_cache(maxsize=512)
def _compiled(source: str, *, html: bool) -> Template:
    """Compiling a template costs far more than rendering it: once per text (texts change only
    when an admin edits them, and an edit is a new text)."""
    if html:
        template = _HTML.from_string("<p>" + source.replace("\n\n", "</p><p>") + "</p>")
    else:
        template = _TEXT.from_string(source)
    # Its globals (Jinja's own: range, dict …) as a plain dict: each render copies them into
    # its context, and copying the ChainMap Jinja keeps was half of a render (19 against
    # 8 µs for a points message). Nothing adds globals once the service runs.
    template.globals = dict(template.globals)
    return template


# Values added to a kind of message after it was first sent, for a notice written before
# (a delivery waiting out quiet hours across an upgrade): a tier's names per language.
_SINCE: dict[str, Any] = {"tier_names": {}, "previous_tier_names": {}}


def render(title: str, body: str, values: dict[str, Any]) -> Rendered:
    values = {**_SINCE, **values}
    try:
        return Rendered(
            title=_compiled(title, html=False).render(values).strip(),
            text=_compiled(body, html=False).render(values).strip(),
            _body=body,
            _values=values,
        )
    except TemplateError as exc:
        raise InvalidTemplate(str(exc)) from exc
