"""The console's rule form: each rule of the default program, rendered in the form and sent
back as a browser would send it (with scripts: the fields hidden for its choices are not sent;
without: every field is), is the same rule, so opening it and saving it unchanged makes no new
version; a condition the form cannot show is kept; the pickers' values cannot break out of
their quotes; every template makes a rule the API takes."""

from html.parser import HTMLParser
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile

from services.console.entrypoints.context import TEMPLATES
from services.console.entrypoints.rule_form import (
    EFFECTS,
    EVENTS,
    condition_of,
    form_from_spec,
    spec_from_form,
)
from services.console.entrypoints.rule_form_pages import _kept
from services.console.entrypoints.rule_templates import DRIVERS
from services.console.entrypoints.rule_templates import TEMPLATES as STARTERS
from services.console.entrypoints.rule_words import describe
from services.rules.adapters.cel_engine import compile_rule
from services.rules.adapters.rule_specs import RuleSpec
from services.rules.service_layer.pack import DEFAULT_PACK, parse_pack

PACK = parse_pack(DEFAULT_PACK.read_text())
VOCABULARY = {"categories": ["dairy", "bakery"], "tags": ["organic"], "channels": ["pos"]}


class _Sent(HTMLParser):
    """What the form sends: (name, value) of each control, as a browser builds it."""

    def __init__(self, scripts: bool) -> None:
        super().__init__()
        self.scripts = scripts
        self.sent: list[tuple[str, str | UploadFile]] = []
        self.hidden_depth: list[bool] = []  # per open element: inside a field scripts hide
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._choices: dict[str, str] = {}

    def _hidden(self) -> bool:
        return self.scripts and any(self.hidden_depth)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in ("input", "option", "br"):
            self.hidden_depth.append(self._hides(a))
        if tag == "input" and "name" in a and not self._hidden():
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.sent.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = (a["name"], self._hidden()), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def _hides(self, a: dict[str, str]) -> bool:
        """A [data-for] or [data-event] block rule_form.js hides for these choices."""
        if "data-for" in a:
            return self._choices["effect"] not in a["data-for"].split()
        if "data-event" in a:
            return a["data-event"] != self._choices["event"]
        return False

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, hidden = self._select
            chosen = next((v for v, s in self._options if s), self._options[0][0])
            if not hidden:
                self.sent.append((name, chosen))
            self._select = None
        if tag not in ("input", "option", "br") and self.hidden_depth:
            self.hidden_depth.pop()


def sent_back(spec: dict[str, Any], *, scripts: bool) -> dict[str, Any]:
    return spec_from_form(FormData(sent(form_from_spec(spec), scripts=scripts)), spec["id"])


def sent(form: dict[str, Any], *, scripts: bool) -> list[tuple[str, str | UploadFile]]:
    """What a browser sends of the rule form showing ``form``."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    html = environment.get_template("rule_form.html").render(
        session=None,
        csrf="",
        form=form,
        new=False,
        why="",
        error=None,
        events=EVENTS,
        effects=EFFECTS,
        drivers=DRIVERS,
        vocabulary=VOCABULARY,
        tiers=["base", "silver", "gold"],
        audiences=[],
        others=[{"id": "base-earn", "name": "Base earn rate"}],
    )
    parser = _Sent(scripts)
    parser._choices = {"effect": form["effect"], "event": form["event"]}
    parser.feed(html)
    return parser.sent


@pytest.mark.parametrize("scripts", [True, False], ids=["with scripts", "without"])
@pytest.mark.parametrize("rule", PACK.rules, ids=[r.id for r in PACK.rules])
def test_each_default_rule_round_trips_through_the_form(rule: RuleSpec, scripts: bool) -> None:
    stored = rule.model_dump(mode="json")
    again = RuleSpec.model_validate(sent_back(stored, scripts=scripts)).model_dump(mode="json")
    assert again == stored


def test_a_hand_written_condition_is_kept_and_shown_read_only() -> None:
    form = form_from_spec({"id": "x", "condition": "member.purchases_this_month == 5"})
    assert form["hand_condition"] == "member.purchases_this_month == 5"
    assert form["conditions"] == {}


def test_picked_values_cannot_leave_their_quotes_and_amounts_are_amounts() -> None:
    assert condition_of({"category": 'dairy" || true || "'}) == (
        '"dairy || true || " in purchase.categories'
    )
    assert condition_of({"tier": "gold", "min_total": "1 000,50"}) == (
        'member.tier == "gold" && purchase.total >= 1000.50'
    )
    with pytest.raises(ValueError, match="not an amount"):
        condition_of({"min_total": "1; drop"})


def test_a_filter_on_lines_without_a_value_is_refused_not_widened_to_the_whole_basket() -> None:
    form = FormData(
        {"effect": "per_amount", "lines": "category", "lines_value": "", "explanation_en": "x"}
    )
    with pytest.raises(ValueError, match="Pick the category"):
        spec_from_form(form, "x")


@pytest.mark.parametrize("key", sorted(STARTERS))
def test_every_template_makes_a_rule_the_api_takes_and_says_it_in_words(key: str) -> None:
    spec = {**STARTERS[key]["spec"], "id": key}
    if key == "double-category":  # its category is picked in the form
        spec["effect"] = {**spec["effect"], "lines": 'line.category == "dairy"'}
    parsed = RuleSpec.model_validate(sent_back(spec, scripts=True))
    compile_rule(parsed.to_rule(1))
    assert parsed.driver == STARTERS[key]["spec"]["driver"]
    assert describe(parsed.model_dump(mode="json")).startswith("Members get ")


def test_a_form_refused_before_it_reaches_the_api_comes_back_as_typed() -> None:
    typed = FormData(
        [
            ("rule_id", "organic-x"),
            ("name", "Organic"),
            ("effect", "per_amount"),
            ("points", "2"),
            ("lines", "tag"),
            ("lines_value", ""),  # the slip: no tag picked
            ("explanation_en", "double points"),
            ("explanation_da", "dobbelt point"),
            ("if_tier", "gold"),
            ("per_member_per_day", "500"),
            ("once_per_year", "on"),
            ("keep_priority", "-5"),
            ("keep_notice", "birthday"),
        ]
    )
    with pytest.raises(ValueError, match="Pick the category"):
        spec_from_form(typed, "organic-x")
    shown = _kept(typed)
    again = dict(sent(shown, scripts=True))
    assert again["explanation_da"] == "dobbelt point"
    assert (again["if_tier"], again["per_member_per_day"], again["once_per_year"]) == (
        "gold",
        "500",
        "on",
    )
    assert (again["keep_priority"], again["keep_notice"]) == ("-5", "birthday")
    assert again["points"] == "2"
