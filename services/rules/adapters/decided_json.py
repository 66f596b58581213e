"""A ``points.decided`` written as the JSON of :class:`PointsDecided`, without building the
model: its validation and dump were most of the cost of a decision's news (#31). The
engine's values are checked here for what the model would refuse, and anything it would
refuse, or might, goes through the model (which raises as before).
``tests/unit/test_decision_json.py`` holds the two ways equal, and a refusal a refusal."""

from datetime import datetime
from typing import Any

from services.rules.domain.model import Award, LoyaltyEvent, Revocation
from shared.contracts.awards import NOTICE_KINDS, PointsDecided
from shared.contracts.envelope import derived_id
from shared.contracts.json import json_time


def award_id(award: Award) -> str:
    """The id of an award: its event's id on the awards topic, and its row in ``awards``."""
    return _award_id(award.source_event_id, award.rule_id)


def _award_id(source_event_id: str, rule_id: str) -> str:
    return derived_id(source_event_id, rule_id)


def revocation_id(revocation: Revocation) -> str:
    return derived_id(revocation.source_event_id, revocation.rule_id, "revoke")


def decision_id(source_event_id: str, member_id: str) -> str:
    return derived_id(source_event_id, "decision", member_id)


def awarded(a: Award) -> dict[str, Any]:
    return {
        "award_id": award_id(a),
        "points": a.points,
        "rule_id": a.rule_id,
        "rule_version": a.rule_version,
        "driver": a.driver,
        "explanation": a.explanation,
        "pending_until": None if a.pending_until is None else _time(a.pending_until),
        "funded_by": a.funded_by,
        "notice": a.notice,
    }


def revoked(r: Revocation) -> dict[str, Any]:
    return {
        "revocation_id": revocation_id(r),
        "points": r.points,
        "revokes_event_id": r.revokes_event_id,
        "revokes_award_id": _award_id(r.revokes_event_id, r.rule_id),
        "rule_id": r.rule_id,
        "rule_version": r.rule_version,
        "explanation": r.explanation,
    }


def _time(moment: datetime) -> str | datetime:
    """Written as the model writes it; a time without a zone is left for the model to refuse."""
    return json_time(moment) if moment.utcoffset() is not None else moment


def decided_data(
    event: LoyaltyEvent,
    member_id: str,
    awards: list[dict[str, Any]],
    revocations: list[dict[str, Any]],
    language: str | None,
) -> dict[str, Any]:
    """The ``data`` of what ``event`` is worth to ``member_id``: the parts made by
    :func:`awarded` or :func:`revoked`."""
    data = {
        "decision_id": decision_id(event.event_id, member_id),
        "member_id": member_id,
        "source_event_id": event.event_id,
        "source_event_type": event.event_type,
        "decided_at": _time(event.occurred_at),
        "awards": awards,
        "revocations": revocations,
        "language": language,
    }
    if _plainly_valid(data):
        return data
    return PointsDecided.model_validate(data).model_dump(mode="json")


_NOTICES = frozenset({None, *NOTICE_KINDS})


def _plainly_valid(data: dict[str, Any]) -> bool:
    """What PointsDecided asks, checked on plain values (False: let the model judge)."""
    awards, revocations = data["awards"], data["revocations"]
    language = data["language"]
    return (
        bool(awards) != bool(revocations)
        and max(len(awards), len(revocations)) <= 1000
        and all(_an_id(data[k]) for k in ("decision_id", "member_id", "source_event_id"))
        and _an_id(data["source_event_type"])
        and type(data["decided_at"]) is str
        and (language is None or (type(language) is str and len(language) <= 10))
        and all(_plain_award(a) for a in awards)
        and all(_plain_revocation(r) for r in revocations)
    )


def _an_id(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= 200


def _plain_part(part: dict[str, Any]) -> bool:
    points, version, text = part["points"], part["rule_version"], part["explanation"]
    return (
        type(points) is int
        and 0 < points <= 1_000_000_000
        and type(version) is int
        and version >= 1
        and type(text) is str
        and 0 < len(text) <= 500
        and _an_id(part["rule_id"])
    )


def _plain_award(a: dict[str, Any]) -> bool:
    return (
        _plain_part(a)
        and _an_id(a["award_id"])
        and (a["driver"] is None or type(a["driver"]) is str)
        and (a["pending_until"] is None or type(a["pending_until"]) is str)
        and (a["funded_by"] is None or type(a["funded_by"]) is str)
        and a["notice"] in _NOTICES
    )


def _plain_revocation(r: dict[str, Any]) -> bool:
    return _plain_part(r) and _an_id(r["revocation_id"]) and _an_id(r["revokes_event_id"])
