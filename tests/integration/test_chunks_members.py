"""The rules' chunks and members on real PostgreSQL: a referral rewards both members, a friend is
welcomed once, two replicas locking overlapping members neither deadlock nor lose a purchase."""

import asyncio
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.rules.adapters.orm import member_states
from shared.contracts.envelope import derived_id
from shared.kafka.chunks import BatchHandler
from tests.integration.test_chunks import decided, event, points, purchase, rules  # noqa: F401 (the rules fixture)

pytestmark = pytest.mark.integration


async def test_a_referral_is_one_message_to_each_member_it_rewards(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    handle, engine = rules
    referral = event("referral.completed", "dan", referred_member_id="eva")
    assert await handle([referral]) == {}
    messages = [m for m in await decided(engine) if m["type"] == "points.decided"]
    assert [(m["subject"], points(m)) for m in messages] == [
        ("dan", {"referral": 200}),
        ("eva", {"referred-welcome": 100}),
    ]
    assert messages[0]["id"] == derived_id(referral.key, "decision", "dan")


async def test_a_friend_is_welcomed_once_however_often_and_by_whomever_referred(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    """referred-welcome's cap counts on the friend who gets the points; a member cannot
    refer themselves, and a referred id is a member id like any other."""
    handle, engine = rules
    friend = f"f-{uuid.uuid4().hex[:6]}"
    chunk = [
        event("referral.completed", "gus", referred_member_id=friend),
        event("referral.completed", "gus", referred_member_id=friend),
        event("referral.completed", "hal", referred_member_id=friend),
        event("referral.completed", "ivy", referred_member_id="ivy"),
        event("referral.completed", "ivy", referred_member_id="../bob"),
    ]
    rejected = await handle(chunk[:3] + chunk[3:])
    assert set(rejected) == {3, 4}
    assert "cannot refer themselves" in rejected[3]
    assert "referred_member_id" in rejected[4]
    # A later chunk, as another replica would handle it: the cap is on the friend's state.
    assert await handle([event("referral.completed", "jon", referred_member_id=friend)]) == {}
    welcomed = [
        m for m in await decided(engine) if m["type"] == "points.decided" and m["subject"] == friend
    ]
    assert [points(m) for m in welcomed] == [{"referred-welcome": 100}]


async def test_two_replicas_locking_overlapping_members_neither_deadlock_nor_lose_a_purchase(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    handle, engine = rules
    members = [f"m-{n:02d}" for n in range(30)]
    first = [purchase(m, dairy="0", other="10.00") for m in members]
    second = [purchase(m, dairy="0", other="20.00") for m in reversed(members)]
    results = await asyncio.gather(*(handle(first[i::3] + second[i::3]) for i in range(3)))
    assert results == [{}, {}, {}]
    async with engine.connect() as conn:
        states = dict(
            (await conn.execute(select(member_states.c.member_id, member_states.c.state))).all()
        )
    assert {m: states[m]["purchases_total"] for m in members} == dict.fromkeys(members, 2)
