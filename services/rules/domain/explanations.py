"""Why a member got points, in words: a rule's explanation in the member's language, with its
values written as that language writes them, and one language for a whole decision."""

from collections.abc import Sequence
from decimal import Decimal
from string import Template
from typing import Any

from services.rules.domain.rules import Rule
from shared.wording import money


def explain(rule: Rule, language: str, **values: Any) -> str:
    """The rule's explanation in ``language`` (English if it has none); ``$name``
    placeholders only, so a template cannot reach anything but these values; the amount as
    the language writes it. For a purchase paid in another currency (``paid_in``,
    ``paid_amount``), the amount says both: "230.40 SEK = 152.10 DKK"."""
    texts = rule.explanation
    written_in = next((tag for tag in (language, language[:2]) if texts.get(tag)), "en")
    template = texts.get(written_in) or rule.name
    for name in ("amount", "paid_amount"):
        if isinstance(values.get(name), Decimal):
            values[name] = money(values[name], written_in)
    if values.get("paid_in") and values.get("amount_counted"):
        both = (
            f"{values['paid_amount']} {values['paid_in']} = {values['amount']} {values['currency']}"
        )
        if "$amount $currency" in template:
            template = template.replace("$amount $currency", both)
        elif "$amount" in template:
            template = f"{template} ({both})"
    return Template(template).safe_substitute(name=rule.name, **values)


def speaks(rule: Rule, language: str) -> bool:
    return language in rule.explanation or language[:2] in rule.explanation


def explanation_language(rules: Sequence[Rule], language: str) -> str:
    """The language a decision is explained in: the member's, if every rule that moved points
    has a text in it; else English for all of them, so a message is never two languages."""
    return language if all(speaks(rule, language) for rule in rules) else "en"
