"""Rules to start from, by loyalty driver, each with what it does for loyalty (in the words of
the source material: design.md §1). A template fills the rule form; nothing is saved until the
manager saves a draft."""

from typing import Any

DRIVERS = {
    "economic": "Economic: price, discount, reward and benefits",
    "structural": "Structural: easy to use, good service, a dialogue",
    "emotional": "Emotional: belonging, relationships and values",
}


def _rule(
    name: str,
    explanation: dict[str, str],
    driver: str,
    event: str,
    effect: dict[str, Any],
    **more: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "explanation": explanation,
        "driver": driver,
        "events": [event],
        "effect": effect,
        **more,
    }


def _said(en: str, da: str, sv: str) -> dict[str, str]:
    return {"en": en, "da": da, "sv": sv}


def _extra_per_amount(lines: str) -> dict[str, Any]:
    """A point more per krona on the lines: double, beside the base rate's one."""
    return {"type": "points_per_amount", "points": "1", "per": "1", "lines": lines}


PURCHASE = "purchase.completed"
TEMPLATES: dict[str, dict[str, Any]] = {
    "double-category": {
        "why": "Points that follow what a member buys make a reward they can count on; a "
        "double on one category lifts it without discounting the price.",
        "spec": _rule(
            "Double points on a category",
            {
                "en": "double points on the category",
                "da": "dobbelt point på kategorien",
                "sv": "dubbla poäng på kategorin",
            },
            "economic",
            PURCHASE,
            {
                "type": "points_per_amount",
                "points": "1",
                "per": "1",
                "lines": 'line.category == ""',
            },
            pending_days=14,
        ),
    },
    "spend-threshold": {
        "why": "A bonus above a basket size rewards a bigger basket, and its budget keeps the "
        "bonus from eating the margin.",
        "spec": _rule(
            "Spend more, get a bonus",
            {
                "en": "bonus for a big basket",
                "da": "bonus for en stor kurv",
                "sv": "bonus för en stor korg",
            },
            "economic",
            PURCHASE,
            {"type": "threshold_bonus", "min_amount": "500", "points": "50"},
            pending_days=14,
        ),
    },
    "tier-multiplier": {
        "why": "More points for the best members make a tier worth keeping: the benefit grows "
        "with the relationship.",
        "spec": _rule(
            "More points for a tier",
            _said("tier bonus", "niveaubonus", "nivåbonus"),
            "economic",
            PURCHASE,
            {"type": "multiplier", "factor": "1.5", "applies_to": ["base-earn"]},
            condition='member.tier == "gold"',
            pending_days=14,
        ),
    },
    "app-purchase": {
        "why": "Rewarding the easy way to shop (the app, the web shop) makes the program "
        "simple to use, and simplicity keeps members.",
        "spec": _rule(
            "Shop in the app",
            _said("bought in the app", "købt i appen", "köpt i appen"),
            "structural",
            PURCHASE,
            {"type": "fixed", "points": "20"},
            condition='purchase.channel == "app"',
            caps={"per_member_per_day": 20},
        ),
    },
    "profile": {
        "why": "A member who tells you about themselves opens a dialogue: you can then offer "
        "what they want rather than guess.",
        "spec": _rule(
            "Complete your profile",
            _said("profile completed", "profil udfyldt", "profil ifylld"),
            "structural",
            "member.profile_completed",
            {"type": "fixed", "points": "50"},
            caps={"once_per_member": True},
        ),
    },
    "review": {
        "why": "Asking for a review or a survey answer, and thanking for it, is a dialogue "
        "members notice.",
        "spec": _rule(
            "Write a review",
            {
                "en": "thank you for your review",
                "da": "tak for din anmeldelse",
                "sv": "tack för din recension",
            },
            "structural",
            "member.activity",
            {"type": "fixed", "points": "30"},
            condition='data.activity == "review"',
            caps={"per_member_per_month": 90},
        ),
    },
    "organic-double": {
        "why": "Rewarding organic and local choices shares the member's values: loyalty to a "
        "brand that stands for something is the hardest to copy.",
        "spec": _rule(
            "Double points on organic",
            {
                "en": "double points on organic",
                "da": "dobbelt point på økologi",
                "sv": "dubbla poäng på ekologiskt",
            },
            "emotional",
            PURCHASE,
            {
                "type": "points_per_amount",
                "points": "1",
                "per": "1",
                "lines": '"organic" in line.tags',
            },
            pending_days=14,
        ),
    },
    "birthday": {
        "why": "Remembering a birthday is what a friend does: it says we know you.",
        "spec": _rule(
            "Happy birthday",
            {
                "en": "happy birthday!",
                "da": "tillykke med fødselsdagen!",
                "sv": "grattis på födelsedagen!",
            },
            "emotional",
            "member.birthday",
            {"type": "fixed", "points": "100"},
            caps={"once_per_year": True},
            notice="birthday",
        ),
    },
    "referral": {
        "why": "A friend's word is worth more than an advertisement: thank the member who "
        "brought one.",
        "spec": _rule(
            "Refer a friend",
            {
                "en": "a friend joined thanks to you",
                "da": "en ven blev medlem takket være dig",
                "sv": "en vän gick med tack vare dig",
            },
            "emotional",
            "referral.completed",
            {"type": "fixed", "points": "200"},
            caps={"per_member_per_month": 1000},
        ),
    },
    "goodwill": {
        "why": "A problem handled well makes a customer more loyal than one who never had a "
        "problem: say sorry with points when a complaint is resolved.",
        "spec": _rule(
            "Sorry, and thank you",
            _said("sorry for the trouble", "undskyld ulejligheden", "förlåt besväret"),
            "emotional",
            "complaint.resolved",
            {"type": "fixed", "points": "150"},
            caps={"per_member_per_month": 300},
            notice="goodwill",
        ),
    },
}
