"""The event contract as an AsyncAPI 3 document, generated from the pydantic models the services
use (so it cannot drift from the code): every topic, message, key, header and payload.

``python -m shared.contracts.asyncapi > docs/asyncapi.json`` writes the checked-in copy; each
service serves it at ``GET /asyncapi.json``; ``tests/unit/test_asyncapi.py`` checks the copy is
current and valid for the AsyncAPI project's own parser, and that what the services write
matches it.
"""

import functools
import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts import awards, erasure, ledger, topics
from shared.contracts.envelope import TYPE_HEADER, CloudEvent
from shared.contracts.inbound import INBOUND_TYPES

_REF = "#/components/schemas/{model}"

# Which models are the data of which types, topic by topic.
_AWARDS: dict[str, type[BaseModel]] = {
    awards.POINTS_DECIDED: awards.PointsDecided,
    awards.MEMBER_TIER_CHANGED: awards.TierChanged,
    awards.MEMBER_PROFILE_CHANGED: awards.ProfileChanged,
    awards.OFFER_GRANTED: awards.OfferGranted,
    awards.CHALLENGE_COMPLETED: awards.ChallengeNews,
    awards.CHALLENGE_PROGRESSED: awards.ChallengeNews,
    awards.POINTS_AWARDED: awards.PointsAwarded,  # the shape before points.decided
    awards.POINTS_REVOKED: awards.PointsRevoked,  # the same
    erasure.MEMBER_ERASED: erasure.MemberErased,
}
_LEDGER: dict[str, type[BaseModel]] = {
    **{ledger.ledger_event_type(kind): ledger.LedgerEvent for kind in ledger.LEDGER_KINDS},
    ledger.POINTS_EXPIRING: ledger.PointsExpiring,
    **{
        f"{ledger.VOUCHER_EVENT_PREFIX}{status}": ledger.VoucherEvent
        for status in ("issued", "used", "cancelled", "expired")
    },
    erasure.MEMBER_ERASED: erasure.MemberErased,
}
_TOPICS: dict[str, tuple[str, dict[str, type[BaseModel]], str]] = {
    "events": (topics.EVENTS, dict(INBOUND_TYPES), "What tills, web shops and apps send in."),
    "awards": (topics.AWARDS, _AWARDS, "What the rules decided, for the ledger and notifications."),
    "ledger": (topics.LEDGER, _LEDGER, "What each ledger operation did, for notifications."),
}
_KAFKA_KEY = {"type": "string", "description": "the member id (the event's subject)"}
_TYPE_HEADER = {
    "type": "object",
    "properties": {
        TYPE_HEADER: {"type": "string", "description": "the event's type, beside the body"},
    },
}
_DEAD_LETTER_HEADERS = {
    "type": "object",
    "properties": {
        name: {"type": "string"}
        for name in (
            "dlq.reason",
            "dlq.original.topic",
            "dlq.original.partition",
            "dlq.original.offset",
            "dlq.consumer.group",
            "dlq.failed.at",
        )
    },
    "required": ["dlq.reason", "dlq.original.topic"],
}


def _message_name(event_type: str) -> str:
    return event_type.replace(".", "_")


@functools.cache
def document() -> dict[str, Any]:
    models = {CloudEvent} | {m for _, types, _ in _TOPICS.values() for m in types.values()}
    _, top = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=_REF,
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for channel, (address, types, description) in _TOPICS.items():
        refs = {}
        for event_type, model in types.items():
            name = _message_name(event_type)
            refs[name] = {"$ref": f"#/components/messages/{name}"}
            messages[name] = {
                "name": event_type,
                "title": event_type,
                "summary": (model.__doc__ or event_type).strip().splitlines()[0],
                "contentType": "application/cloudevents+json",
                "headers": _TYPE_HEADER,
                "payload": {
                    "allOf": [
                        {"$ref": _REF.format(model="CloudEvent")},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": event_type},
                                "data": {"$ref": _REF.format(model=model.__name__)},
                            },
                        },
                    ]
                },
                "bindings": {"kafka": {"key": _KAFKA_KEY}},
            }
        channels[channel] = {"address": address, "description": description, "messages": refs}
    messages["dead_letter"] = {
        "name": "dead letter",
        "summary": "A message a consumer could not take, unchanged (same key and bytes)",
        "headers": _DEAD_LETTER_HEADERS,
        "payload": {"description": "the original message's bytes"},
        "bindings": {"kafka": {"key": _KAFKA_KEY}},
    }
    channels["dead_letter"] = {
        "address": topics.DEAD_LETTER,
        "description": "Messages that broke the contract, with the reason; replayable.",
        "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
    }
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "pointstream events",
            "version": "1.0.0",
            "description": (
                "Every message is a CloudEvents 1.0 JSON envelope keyed by member id; ingest and "
                "loyalty.events.v1 also take binary and batched modes (docs/events.md)."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "kafka": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "KAFKA_BOOTSTRAP_SERVERS; names carry KAFKA_TOPIC_PREFIX",
            }
        },
        "channels": channels,
        "operations": _operations(),
        "components": {"schemas": schemas, "messages": messages},
    }


def _operations() -> dict[str, Any]:
    def op(action: str, channel: str, summary: str) -> dict[str, Any]:
        return {"action": action, "channel": {"$ref": f"#/channels/{channel}"}, "summary": summary}

    return {
        "tillsSendEvents": op("send", "events", "ingest (POST /v1/events) or a till's producer"),
        "rulesReceiveEvents": op("receive", "events", "the rules evaluate them"),
        "rulesSendAwards": op("send", "awards", "the rules' decisions, tier and profile news"),
        "ledgerReceiveAwards": op("receive", "awards", "the ledger books the points"),
        "notificationsReceiveAwards": op("receive", "awards", "profiles and tier news"),
        "ledgerSendLedger": op("send", "ledger", "one event per ledger operation"),
        "notificationsReceiveLedger": op("receive", "ledger", "inbox, email and push"),
        "consumersSendDeadLetters": op("send", "dead_letter", "any consumer, with the reason"),
    }


def message_type_schema(event_type: str) -> str | None:
    """The component message of an event type (None: not in the contract)."""
    name = _message_name(event_type)
    return name if name in document()["components"]["messages"] else None


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=True))
