"""Topic names. A deployment may prefix them (``KAFKA_TOPIC_PREFIX``) to share one cluster."""

from dataclasses import dataclass

EVENTS = "loyalty.events.v1"
AWARDS = "loyalty.awards.v1"
LEDGER = "loyalty.ledger.v1"
DEAD_LETTER = "loyalty.dead-letter.v1"


@dataclass(frozen=True, slots=True)
class Topics:
    events: str
    awards: str
    ledger: str
    dead_letter: str

    @classmethod
    def with_prefix(cls, prefix: str = "") -> "Topics":
        return cls(
            events=prefix + EVENTS,
            awards=prefix + AWARDS,
            ledger=prefix + LEDGER,
            dead_letter=prefix + DEAD_LETTER,
        )

    def all(self) -> tuple[str, ...]:
        return (self.events, self.awards, self.ledger, self.dead_letter)
