"""Rule expressions: CEL, compiled when saved, with no way out of the facts they are given."""

import pytest

from services.rules.adapters.cel_engine import CelPredicate, ExpressionError


@pytest.mark.parametrize(
    "source",
    [
        '__import__("os").system("id")',
        'open("/etc/passwd")',
        "eval('1')",
        "purchase.total >= ",
        "x" * 2001,
    ],
)
def test_an_expression_that_reaches_beyond_the_facts_or_does_not_parse_is_refused(
    source: str,
) -> None:
    with pytest.raises(ExpressionError):
        CelPredicate(source, "rule r condition")


def test_python_attributes_are_not_facts() -> None:
    predicate = CelPredicate('member.__class__ == "dict"', "rule r condition")
    assert predicate({"member": {"tier": "gold"}}) is False


def test_a_fact_the_event_lacks_makes_the_condition_false_not_an_error() -> None:
    predicate = CelPredicate('data.activity == "review"', "rule r condition")
    assert predicate({"data": {}}) is False
    assert predicate({"data": {"activity": "review"}}) is True


def test_a_condition_must_be_true_or_false() -> None:
    with pytest.raises(ExpressionError, match="not a bool"):
        CelPredicate("1 + 1", "rule r condition")({})
