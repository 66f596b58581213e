"""The rules in force, compiled once per version and shared by every event."""

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.cel_engine import (
    CelPredicate,
    compile_audience,
    compile_challenge,
    compile_offer,
    compile_rule,
)
from services.rules.adapters.challenge_specs import ChallengeSpec, PartnerSpec
from services.rules.adapters.facts import facts
from services.rules.adapters.offer_specs import AudienceSpec, OfferSpec
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RulePack, RuleSpec, TierSpec
from services.rules.domain.audiences import Audience, Offer, Placement
from services.rules.domain.challenges import Challenge
from services.rules.domain.engine import Compiled
from services.rules.domain.ladder import Stage
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.placement import place
from services.rules.domain.rfm import Cutpoints
from services.rules.service_layer.stages import compile_ladder, default_stages
from services.rules.service_layer.tiers import Lookups
from shared.freshness import Freshness


class RuleBook(Lookups):
    """Reloads from the database at most every ``ttl`` seconds, or at once after a local
    change, so a rule saved on one replica is in force on all within ``ttl``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 5.0,
        currency: str = "DKK",
    ) -> None:
        self._sessions = sessions
        self.currency = currency  # the program's: purchases in another are converted
        self._freshness = Freshness(ttl)
        self.rules: Sequence[Compiled] = ()
        self.tiers: list[TierSpec] = []
        self._compiled: dict[tuple[str, int], Compiled] = {}
        self._needed: dict[str, frozenset[str]] = {}
        # Audiences (enabled) with their compiled conditions, offers (all, for their names;
        # the rules in force include the enabled ones), and the RFM boundaries.
        self.audiences: list[tuple[Audience, CelPredicate]] = []
        self.offers: dict[str, Offer] = {}
        self.cuts: Cutpoints | None = None
        self._audience_compiled: dict[tuple[str, int], CelPredicate] = {}
        # Challenges (all, for their names; the live ones with their step conditions), the
        # ladder's stages in order, and the partners.
        self.all_challenges: dict[str, Challenge] = {}
        self.challenges: list[tuple[Challenge, CelPredicate]] = []
        self.stages: list[tuple[Stage, CelPredicate]] = default_stages()
        self.partners: dict[str, PartnerSpec] = {}
        self._challenge_compiled: dict[tuple[str, int], CelPredicate] = {}

    @classmethod
    def static(cls, pack: RulePack) -> "RuleBook":
        """A book of fixed rules, never reloaded (for simulations and tests)."""
        book = cls(None, ttl=float("inf"))  # type: ignore[arg-type]
        book.rules = tuple(compile_rule(spec.to_rule(1)) for spec in pack.rules)
        book.tiers = list(pack.tiers)
        book._freshness.read_now()
        return book

    @classmethod
    def static_with(
        cls,
        *,
        offers: Sequence[OfferSpec] = (),
        audiences: Sequence[Audience] = (),
        pack: RulePack | None = None,
        challenges: Sequence[ChallengeSpec] = (),
    ) -> "RuleBook":
        """A fixed book of a pack's rules (none: no rules), offers, audiences and challenges
        (for tests)."""
        book = cls.static(pack or RulePack(rules=[]))
        book._set_challenges([(c, 1) for c in challenges])
        every = [o.to_offer(1) for o in offers]
        compiled = [compile_offer(o) for o in every if o.gives_points]
        book.rules = (*book.rules, *compiled)
        book.offers = {o.offer_id: o for o in every}
        book.audiences = [(a, compile_audience(a)) for a in audiences]
        return book

    def with_draft(self, spec: RuleSpec | OfferSpec) -> "RuleBook":
        """This book with ``spec`` (a rule or an offer) in place of its own (added, if new),
        never reloaded: to simulate or replay it before it is saved. The draft is its next
        version."""
        offer = spec.to_offer(1) if isinstance(spec, OfferSpec) else None
        rule_id = offer.rule_id if offer is not None else spec.id
        kept = tuple(c for c in self.rules if c.rule.rule_id != rule_id)
        current = [c.rule.version for c in self.rules if c.rule.rule_id == rule_id]
        version = max(current, default=0) + 1
        if isinstance(spec, RuleSpec):
            draft = compile_rule(spec.to_rule(version))
        elif offer is not None and offer.gives_points:
            draft = compile_offer(dataclasses.replace(offer, version=version))
        else:
            raise ValueError("a cheaper reward has no points to replay or simulate")
        book = RuleBook(None, ttl=float("inf"), currency=self.currency)  # type: ignore[arg-type]
        book.rules = (*kept, draft) if spec.enabled else kept
        book.tiers = list(self.tiers)
        book.audiences = list(self.audiences)
        book.offers = dict(self.offers)
        book.all_challenges, book.challenges = self.all_challenges, self.challenges
        book.stages, book.partners = self.stages, self.partners
        if draft.offer is not None:
            book.offers[draft.offer.offer_id] = draft.offer
        book.cuts = self.cuts
        book._freshness.read_now()
        return book

    def draft(self, rule_id: str) -> Compiled:
        return next(c for c in self.rules if c.rule.rule_id == rule_id)

    def beneficiaries(self, event: LoyaltyEvent) -> set[str]:
        """The members other than the event's own that rules in force may give points to for
        it (a referral's friend): their states are loaded too, their caps count on them."""
        found = set()
        for c in self.rules:
            field = c.rule.beneficiary
            if field is not None and event.event_type in c.rule.event_types:
                value = event.data.get(field)
                if isinstance(value, str) and value and value != event.member_id:
                    found.add(value)
        return found

    def invalidate(self) -> None:
        self._freshness.invalidate()

    async def refreshed(self) -> "RuleBook":
        """This book, reloaded first if it is older than ``ttl``."""
        await self._freshness.refresh(self._reload)
        return self

    async def _reload(self) -> None:
        async with self._sessions() as session:
            program = ProgramRepository(session)
            specs = await program.rules_in_force()
            self.tiers = await program.load_tiers()
            audience_specs = await program.audiences_in_force()
            offer_specs = await program.offers_in_force()
            self.cuts = await program.cutpoints()
            challenge_specs = await program.challenges_in_force()
            ladder = await program.ladder()
            partner_specs = await program.partners_in_force()
        compiled = []
        for spec, version in specs:
            key = (spec.id, version)
            if key not in self._compiled:
                self._compiled[key] = compile_rule(spec.to_rule(version))
            compiled.append(self._compiled[key])
        self.offers = {}
        for offer_spec, version in offer_specs:
            offer = offer_spec.to_offer(version)
            self.offers[offer.offer_id] = offer
            key = (offer.rule_id, version)
            if not offer.enabled or not offer.gives_points:
                continue  # (a cheaper reward is priced by the ledger)
            if key not in self._compiled:
                self._compiled[key] = compile_offer(offer)
            compiled.append(self._compiled[key])
        self.rules = tuple(compiled)
        self.audiences = [self._audience(a, v) for a, v in audience_specs if a.enabled]
        self._set_challenges(challenge_specs)
        if ladder is not None and ladder[1] != self._ladder_version:
            self.stages, self._ladder_version = compile_ladder(ladder[0]), ladder[1]
        self.partners = {p.id: p for p, _ in partner_specs}
        self._needed, self._funders = {}, None

    _ladder_version = 0

    def _set_challenges(self, specs: Sequence[tuple[ChallengeSpec, int]]) -> None:
        self.all_challenges, self.challenges = {}, []
        for spec, version in specs:
            challenge = spec.to_challenge(version)
            self.all_challenges[challenge.challenge_id] = challenge
            key = (challenge.challenge_id, version)
            if key not in self._challenge_compiled:
                self._challenge_compiled[key] = compile_challenge(challenge)
            if challenge.enabled:
                self.challenges.append((challenge, self._challenge_compiled[key]))

    def _audience(self, spec: AudienceSpec, version: int) -> tuple[Audience, CelPredicate]:
        key = (spec.id, version)
        audience = spec.to_audience(version)
        if key not in self._audience_compiled:
            self._audience_compiled[key] = compile_audience(audience)
        return audience, self._audience_compiled[key]

    @property
    def places(self) -> bool:
        """Whether there are stages or audiences to keep current (else placing is skipped)."""
        return bool(self.audiences or self.stages)

    def place(self, member: MemberState, facts: dict[str, Any], moment: Any) -> Placement:
        """Keep the member's stage, audiences and offers current (``facts``: theirs, now)."""
        return place(member, facts, moment, self.audiences, self.offers.values(), self.stages)

    def facts(
        self, event: LoyaltyEvent, member: MemberState, member_facts: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return facts(event, member, self._read_by(event.event_type), member_facts, self.cuts)

    def _read_by(self, event_type: str) -> frozenset[str]:
        """The facts the conditions and line filters of this event type's rules read: only
        those are gathered and converted for CEL (an event's whole payload is costly)."""
        needed = self._needed.get(event_type)
        if needed is None:
            needed = frozenset(
                name
                for c in self.rules
                if event_type in c.rule.event_types
                for predicate in (c.condition, c.line_filter)
                if predicate is not None
                for name in predicate.variables
            ) | frozenset(
                name
                for challenge, condition in self.challenges
                if event_type in challenge.event_types
                for name in condition.variables
            )
            self._needed[event_type] = needed
        return needed
