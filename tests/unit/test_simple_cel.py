"""The shortcut for simple conditions answers exactly as CEL does: compared on random
expressions over random facts (CEL is the oracle), and on the default pack's shapes."""

import random
from typing import Any

import pytest

from services.rules.adapters.cel_engine import CelPredicate, ExpressionError
from services.rules.adapters.simple_cel import UNSURE, compile_simple

STRINGS = ["gold", "silver", "dairy", "", "Ø", "a b"]
NUMBERS: list[Any] = [0, 1, 3, 5, -2, 2.5, 500, 499.99, 1.0, 2**63 + 1]
LEAVES: list[Any] = [*STRINGS, *NUMBERS, True, False, None]
FIELDS = ["tier", "count", "total", "flag", "tags", "missing", "nested"]


def random_value(rnd: random.Random, depth: int = 0) -> Any:
    roll = rnd.random()
    if roll < 0.2 and depth < 2:
        return [rnd.choice(LEAVES) for _ in range(rnd.randint(0, 3))]
    if roll < 0.3 and depth < 2:
        return {name: random_value(rnd, depth + 1) for name in rnd.sample(FIELDS, 3)}
    return rnd.choice(LEAVES)


TYPED = {
    "tier": lambda rnd: rnd.choice(STRINGS),
    "count": lambda rnd: rnd.choice([0, 1, 3, 5]),
    "total": lambda rnd: rnd.choice([2.5, 499.99, 500.0, 1.0]),
    "flag": lambda rnd: rnd.random() < 0.5,
    "tags": lambda rnd: rnd.sample(STRINGS, rnd.randint(0, 3)),
}


def random_facts(rnd: random.Random) -> dict[str, Any]:
    """Mostly what rules meet (a field keeps its type), sometimes anything at all."""
    return {
        name: {
            field: TYPED[field](rnd) if field in TYPED and rnd.random() < 0.8 else random_value(rnd)
            for field in rnd.sample(FIELDS, 5)
        }
        for name in ("member", "line")
    }


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if value >= 0 else f"({value})"  # a negative number: CEL decides


def random_operand(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.5:
        path = f"{rnd.choice(['member', 'line'])}.{rnd.choice(FIELDS)}"
        return path + (f".{rnd.choice(FIELDS)}" if rnd.random() < 0.15 else "")
    if roll < 0.6:
        return f"size({random_operand(rnd)})"
    if roll < 0.7:
        return "[" + ", ".join(literal(rnd.choice(STRINGS + NUMBERS[:5])) for _ in range(2)) + "]"
    return literal(rnd.choice(LEAVES))


def random_expression(rnd: random.Random, depth: int = 0) -> str:
    roll = rnd.random()
    if depth < 2 and roll < 0.3:
        joiner = rnd.choice([" && ", " || "])
        return joiner.join(random_expression(rnd, depth + 1) for _ in range(2))
    if depth < 2 and roll < 0.4:
        return f"!({random_expression(rnd, depth + 1)})"
    if roll < 0.5:
        return random_operand(rnd)  # a bare fact: true only if it is the boolean true
    if rnd.random() < 0.6:
        return typed_comparison(rnd)
    op = rnd.choice(["==", "!=", "<", "<=", ">", ">=", "in"])
    return f"{random_operand(rnd)} {op} {random_operand(rnd)}"


def typed_comparison(rnd: random.Random) -> str:
    """A condition as rules are written: a field compared with a value of its type."""
    field = rnd.choice(list(TYPED))
    path = f"{rnd.choice(['member', 'line'])}.{field}"
    order = rnd.choice(["==", "!=", "<", "<=", ">", ">="])
    match field:
        case "tier":
            if rnd.random() < 0.3:
                return f"{path} in [{literal(rnd.choice(STRINGS))}, {literal(rnd.choice(STRINGS))}]"
            return f"{path} {rnd.choice(['==', '!='])} {literal(rnd.choice(STRINGS))}"
        case "count" | "total":
            return f"{path} {order} {literal(rnd.choice([0, 1, 3, 5, 2.5, 500, 499.99]))}"
        case "tags":
            if rnd.random() < 0.5:
                return f"{literal(rnd.choice(STRINGS))} in {path}"
            return f"size({path}) {order} {rnd.randint(0, 3)}"
    return path if rnd.random() < 0.5 else f"{path} == {literal(rnd.random() < 0.5)}"


def outcome(predicate: CelPredicate, facts: dict[str, Any]) -> object:
    try:
        return predicate(facts)
    except ExpressionError:
        return ExpressionError


def test_random_expressions_answer_as_cel_does() -> None:
    rnd = random.Random(20261128)
    decided = compared = 0
    for _ in range(3000):
        source = random_expression(rnd)
        try:
            fast = CelPredicate(source, "test")
        except ExpressionError:
            continue  # CEL itself refuses it: nothing to compare
        reference = CelPredicate(source, "test")
        reference._simple = None  # CEL alone
        for _ in range(5):
            facts = random_facts(rnd)
            compared += 1
            assert outcome(fast, facts) == outcome(reference, facts), (source, facts)
            if fast._simple is not None and fast._simple(facts) is not UNSURE:
                decided += 1
    # The comparison means something only if the shortcut decided many of them itself.
    assert decided > compared / 4, (decided, compared)


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ('"dairy" in purchase.categories', {"purchase": {"categories": ["dairy"]}}, True),
        ('line.category == "dairy"', {"line": {"category": "bakery"}}, False),
        ("member.purchases_this_month == 5", {"member": {"purchases_this_month": 5}}, True),
        ("size(purchase.categories) >= 3", {"purchase": {"categories": ["a", "b"]}}, False),
        ('"organic" in line.tags || "local" in line.tags', {"line": {"tags": ["local"]}}, True),
        ('data.activity in ["survey_answer", "nps_answer"]', {"data": {"activity": "x"}}, False),
        ("purchase.total >= 500", {"purchase": {"total": 612.5}}, True),
    ],
)
def test_the_default_packs_conditions_need_no_cel(
    source: str, facts: dict[str, Any], expected: bool
) -> None:
    simple = compile_simple(source)
    assert simple is not None
    assert simple(facts) is expected


@pytest.mark.parametrize(
    "source",
    [
        "purchase.lines.exists(l, l.category == 'dairy')",
        'line.sku.startsWith("coffee")',
        "member.tenure_days >= -1",
        "purchase.total >= 1e3",
        r'data.note == "a\"b"',
        "5u == member.count",
    ],
)
def test_anything_else_is_left_to_cel(source: str) -> None:
    assert compile_simple(source) is None


@pytest.mark.parametrize(
    "source",
    [
        "!(member.tier == 1)",  # another type: CEL says false, so the negation is true
        "!member.missing",
        "member.missing || true",
        "member.missing && false",
        "!(member.count < 'a')",
        "member.tier < 'z'",
        "size(member.tier) == 1",
        "member.count == 5 && member.total >= 500",
    ],
)
def test_where_the_shortcut_is_unsure_cel_answers(source: str) -> None:
    facts = {"member": {"tier": "Ø", "count": 5, "total": 500.0}}
    fast, reference = CelPredicate(source, "test"), CelPredicate(source, "test")
    reference._simple = None
    assert outcome(fast, facts) == outcome(reference, facts)
