"""How each event changes what the rules know of the member (before the rules evaluate it)."""

from datetime import date

from services.rules.domain.member import MemberState, month_key
from services.rules.domain.model import LoyaltyEvent


def observe(member: MemberState, event: LoyaltyEvent) -> None:
    moment = event.occurred_at
    match event.event_type:
        case "purchase.completed" if event.purchase is not None:
            month = month_key(moment)
            member.purchases_total += 1
            member.purchases_by_month[month] = member.purchases_by_month.get(month, 0) + 1
            member.spend(moment, event.purchase.paid)
            for line in event.purchase.lines:
                if line.category not in member.categories_bought:
                    member.categories_bought.append(line.category)
            member.last_purchase_at = moment
        case "purchase.returned" if event.returned is not None:
            member.spend(moment, -event.returned.amount)
        case "member.enrolled" | "member.profile_completed" | "member.profile_updated":
            if event.event_type == "member.enrolled":
                member.enrolled_at = member.enrolled_at or moment
            member.language = str(event.data.get("language") or member.language)
            member.timezone = str(event.data.get("timezone") or member.timezone)
            if birthday := event.data.get("birthday"):
                member.birthday = date.fromisoformat(str(birthday))
        case "referral.completed":
            member.referrals += 1
        case "complaint.resolved":
            member.complaints_resolved += 1
