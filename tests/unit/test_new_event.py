"""``new_event`` builds pointstream's own events without pydantic's ``model_construct`` (#31):
what it builds must be what that builds, for every use a consumer or the outbox makes of it."""

import copy
import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.contracts.envelope import CloudEvent, new_event, parse_envelope


def _both(**kwargs: object) -> tuple[CloudEvent, CloudEvent]:
    fields = {"specversion": "1.0", **kwargs}
    return new_event(**kwargs), CloudEvent.model_construct(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 12, 5, 7, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 7, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_an_event_built_is_the_one_pydantic_constructs(time: datetime) -> None:
    ours, theirs = _both(
        id="d-1", source="pointstream/rules", type="points.decided", subject="m-1",
        data={"points": 10, "nested": {"a": [1, None]}, "none": None}, time=time,
    )  # fmt: skip
    assert ours == theirs
    assert ours.to_bytes() == theirs.to_bytes()
    assert ours.model_dump() == theirs.model_dump()
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.model_extra == theirs.model_extra == {}
    assert ours.key == theirs.key
    assert parse_envelope(ours.to_bytes()) == parse_envelope(theirs.to_bytes())
    assert copy.deepcopy(ours) == ours
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert ours.model_copy(update={"id": "d-2"}).id == "d-2"


def test_an_event_built_is_frozen_like_any_other() -> None:
    event = new_event(id="d-1", source="s", type="t", subject="m-1", data={})
    with pytest.raises(ValidationError):
        event.id = "other"  # type: ignore[misc]
    assert event.time.tzinfo is not None  # stamped now when not given
