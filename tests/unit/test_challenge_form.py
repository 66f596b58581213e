"""The console's challenge form: every step a manager can pick writes the condition the rules
take, and a saved spec opens as the same choices (so saving it unchanged changes nothing); a
condition written by hand is kept, not lost."""

import pytest
from starlette.datastructures import FormData

from services.console.entrypoints.challenge_form import STEPS, form_from_spec, spec_from_form


def filled(**fields: str) -> FormData:
    base = {"name_en": "Explorer", "goal": "count", "target": "3", "points": "50"}
    return FormData({**base, **fields})


@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_step_round_trips(step: str) -> None:
    value = "250" if step == "basket" else "organic"
    spec = spec_from_form(filled(step=step, step_value=value), "explorer")
    form = form_from_spec(spec)
    assert form["step"] == step
    assert form["hand_condition"] is None
    again = spec_from_form(filled(step=form["step"], step_value=form["step_value"]), "explorer")
    assert again == spec


def test_the_conditions_it_writes() -> None:
    spec = spec_from_form(filled(step="tag", step_value='org"anic'), "x")
    assert spec["condition"] == '"organic" in purchase.tags'  # quotes cannot break out
    spec = spec_from_form(filled(step="basket", step_value="1; drop"), "x")
    assert spec["condition"] == "purchase.paid >= 0"
    review = spec_from_form(filled(step="review_after_purchase"), "x")
    assert review["events"] == ["member.activity"]
    assert "member.purchases_total > 0" in review["condition"]


def test_a_badge_a_window_and_who_pays() -> None:
    spec = spec_from_form(
        filled(
            badge_en="Regular",
            badge_da="Stamkunde",
            window="rolling",
            rolling_days="30",
            funded_by="coffee",
            nudge="on",
        ),
        "x",
    )
    assert spec["badge"] == {
        "id": "regular",
        "name": {"en": "Regular", "da": "Stamkunde"},
        "icon": "★",
    }
    assert spec["rolling_days"] == 30
    assert spec["funded_by"] == "coffee"
    assert spec["nudge"] is True


def test_a_hand_written_condition_is_kept() -> None:
    spec = {
        "id": "x",
        "name": {"en": "X"},
        "goal": "count",
        "target": 2,
        "events": ["purchase.completed"],
        "condition": "purchase.paid > 100.0 && size(purchase.lines) >= 3",
        "points": 10,
    }
    form = form_from_spec(spec)
    assert form["hand_condition"] == spec["condition"]
    again = spec_from_form(
        filled(
            hand_condition=form["hand_condition"],
            hand_events=form["hand_events"],
            target="2",
            points="10",
            name_en="X",
        ),
        "x",
    )
    assert again["condition"] == spec["condition"]
    assert again["events"] == spec["events"]
