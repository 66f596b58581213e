import uuid
from decimal import Decimal

import pytest

from shared.contracts.envelope import EnvelopeError, derived_id, parse_envelope
from shared.contracts.inbound import PayloadError, PurchaseCompleted, parse_inbound

PURCHASE = (
    b'{"specversion":"1.0","id":"e1","source":"pos/1","type":"purchase.completed",'
    b'"time":"2026-11-23T10:00:00Z","subject":"m-1","data":{"purchase_id":"p1",'
    b'"channel":"pos","currency":"DKK","total":98765432109.8765,"lines":[]}}'
)


def test_purchase_total_is_read_exactly_not_through_a_float() -> None:
    payload = parse_inbound(parse_envelope(PURCHASE))
    assert isinstance(payload, PurchaseCompleted)
    assert payload.total == Decimal("98765432109.8765")


def test_money_is_written_as_an_exact_decimal_string() -> None:
    event = parse_envelope(PURCHASE)
    assert b'"total":"98765432109.8765"' in event.to_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"specversion":"1.0"}', "invalid CloudEvent"),
        (PURCHASE.replace(b'"2026-11-23T10:00:00Z"', b'"2026-11-23T10:00:00"'), "timezone"),
        (PURCHASE.replace(b'"specversion":"1.0"', b'"specversion":"0.3"'), "specversion"),
    ],
)
def test_a_message_that_is_not_a_cloudevent_is_refused_with_a_reason(
    raw: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        parse_envelope(raw)


def test_unknown_event_type_is_refused_naming_the_known_ones() -> None:
    event = parse_envelope(PURCHASE.replace(b"purchase.completed", b"purchase.teleported"))
    with pytest.raises(PayloadError, match=r"purchase\.completed"):
        parse_inbound(event)


@pytest.mark.parametrize(
    "bad",
    [b'"currency":"dkk"', b'"currency":"XYZ"', b'"total":-1', b'"total":"NaN"', b'"channel":"fax"'],
)
def test_invalid_purchase_data_is_refused(bad: bytes) -> None:
    field = bad.split(b":")[0]
    original = {
        b'"currency"': b'"currency":"DKK"',
        b'"total"': b'"total":98765432109.8765',
        b'"channel"': b'"channel":"pos"',
    }[field]
    with pytest.raises(PayloadError):
        parse_inbound(parse_envelope(PURCHASE.replace(original, bad)))


def test_derived_ids_are_stable_and_distinct_per_cause() -> None:
    assert derived_id("e1", "base-earn") == derived_id("e1", "base-earn")
    assert derived_id("e1", "base-earn") != derived_id("e2", "base-earn")
    assert derived_id("e1", "base-earn") != derived_id("e1", "birthday")


def test_derived_ids_are_the_uuid5_of_the_causes_so_ids_already_written_still_match() -> None:
    for causes in [("e-1",), ("bench-abc-123", "base-earn"), ("ø", "søndag", ""), ("a/b", "c")]:
        namespace = uuid.UUID("6f1c1a52-5d4e-4b7e-9b2a-0c9a3f6f2d11")
        expected = str(uuid.uuid5(namespace, "/".join(causes)))
        assert derived_id(*causes) == expected
