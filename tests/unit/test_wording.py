from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from services.notifications.adapters.templates import render
from shared.wording import day, grouped, money

TEMPLATES = Path(__file__).parents[2] / "services/notifications/default_templates.yaml"


@pytest.mark.parametrize(
    ("amount", "language", "written"),
    [
        ("1299.00", "en", "1,299.00"),
        ("1299.00", "da", "1.299,00"),
        ("1299.00", "sv", "1\u00a0299,00"),
        ("45.5", "da", "45,5"),  # the sender's own decimals
        ("15.16666666666666666666666667", "en", "15.17"),  # a share of a basket: to the cent
        ("1500", "de", "1,500"),  # a language without its own way: English's
        ("1234567.891", "sv-SE", "1\u00a0234\u00a0567,89"),
    ],
)
def test_an_amount_is_written_as_the_members_language_writes_it(
    amount: str, language: str, written: str
) -> None:
    assert money(Decimal(amount), language) == written


@pytest.mark.parametrize(
    ("points", "language", "written"),
    [(1399, "en", "1,399"), (1399, "da", "1.399"), (1399, "sv", "1\u00a0399"), (-25, "da", "-25")],
)
def test_points_are_grouped_as_the_members_language_groups_them(
    points: int, language: str, written: str
) -> None:
    assert grouped(points, language) == written


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "1,399 points on their way"),
        ("da", "1.399 point på vej"),
        ("sv", "1\u00a0399 poäng på väg"),
    ],
)
def test_the_default_messages_write_points_as_the_members_language_does(
    language: str, title: str
) -> None:
    texts = yaml.safe_load(TEMPLATES.read_text())["points_earned"][language]
    values = {"points": 1399, "pending": True, "available": 0, "explanation": "x"}
    assert render(texts["title"], texts["body"], {**values, "language": language}).title == title


@pytest.mark.parametrize(
    ("language", "body"),
    [
        ("da", "Den gælder til 28. december 2026."),
        ("sv", "Den gäller till 28 december 2026."),
        ("en", "It is valid until 28 December 2026."),
    ],
)
def test_a_vouchers_last_day_is_written_as_the_members_language_writes_days(
    language: str, body: str
) -> None:
    texts = yaml.safe_load(TEMPLATES.read_text())["voucher_issued"][language]
    values = {"code": "C", "reward_name": "R", "expires_at": "2026-12-28T20:17:43+00:00"}
    assert render(texts["title"], texts["body"], {**values, "language": language}).text.endswith(
        body
    )
    assert day("2026-01-05", "fr") == "5 January 2026"
