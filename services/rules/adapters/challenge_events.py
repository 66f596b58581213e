"""Challenge news as it travels on ``loyalty.awards.v1``: a completion (with its badge; the
points travel in the event's ``points.decided``), and a nudge when one step is left."""

from collections.abc import Sequence

from services.rules.domain.challenges import Step
from shared.contracts.awards import CHALLENGE_COMPLETED, CHALLENGE_PROGRESSED, ChallengeNews
from shared.contracts.envelope import CloudEvent, derived_id, new_event

SOURCE = "pointstream/rules"


def challenge_events(steps: Sequence[Step]) -> list[CloudEvent]:
    events = []
    for step in steps:
        if not (step.completed or step.one_left):
            continue
        challenge, language = step.challenge, step.language
        badge = challenge.badge
        payload = ChallengeNews(
            member_id=step.member_id,
            challenge_id=challenge.challenge_id,
            challenge_version=challenge.version,
            name=challenge.text(challenge.name, language) or challenge.challenge_id,
            language=language,
            progress=step.count,
            target=challenge.target,
            at=step.at,
            **(
                {
                    "points": challenge.points,
                    "reward_id": challenge.reward_id,
                    **(
                        {
                            "badge_id": badge.badge_id,
                            "badge_name": challenge.text(badge.name, language),
                            "badge_icon": badge.icon,
                        }
                        if badge is not None
                        else {}
                    ),
                }
                if step.completed
                else {}
            ),
        )
        kind = CHALLENGE_COMPLETED if step.completed else CHALLENGE_PROGRESSED
        # Once per member and challenge (a nudge once per step count).
        what = "completed" if step.completed else f"left-{challenge.target - step.count}"
        events.append(
            new_event(
                id=derived_id(challenge.challenge_id, what, step.member_id, step.at.isoformat()),
                source=SOURCE,
                type=kind,
                subject=step.member_id,
                data=payload.model_dump(mode="json"),
                time=step.at,
            )
        )
    return events
