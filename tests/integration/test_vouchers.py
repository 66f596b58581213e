"""Vouchers on real PostgreSQL: a minimum basket, a statement naming the reward and its refund in
the member's language, names without control characters, codes never overwritten."""

import httpx
import pytest

from services.ledger.service_layer import redeeming
from tests.integration.test_rewards import ADMIN, POS, TILL, add_reward, member_with, redeem

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]


async def test_a_voucher_with_a_minimum_basket_is_refused_on_a_smaller_one(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    member = await member_with(client, 600)
    code = (await redeem(client, member, "coffee-voucher-50")).json()["voucher"]["code"]
    small = await client.post(
        f"/v1/vouchers/{code}/use", headers=POS, json={"where": "store 1", "basket_total": "299.99"}
    )
    enough = await client.post(
        f"/v1/vouchers/{code}/use", headers=POS, json={"where": "store 1", "basket_total": "300.00"}
    )
    assert small.status_code == 409
    assert "at least 300.00" in small.json()["detail"]
    assert enough.json()["status"] == "used"


async def test_a_statement_names_the_reward_and_its_refund_in_the_members_language(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    reward = await add_reward(
        client, names={"en": "A cinema ticket", "da": "En biografbillet", "sv": "En biobiljett"}
    )
    member = await member_with(client, 300)
    spent = await redeem(client, member, reward)
    assert spent.status_code == 201, spent.text
    code = spent.json()["voucher"]["code"]
    cancelled = await client.post(f"/v1/vouchers/{code}/cancel", headers=TILL)
    assert cancelled.status_code == 200, cancelled.text

    async def said(lang: str | None) -> list[str]:
        params = {"lang": lang} if lang else {}
        page = await client.get(f"/v1/members/{member}/entries", params=params, headers=TILL)
        return [e["explanation"] for e in page.json()["entries"][:2]]  # refund, redemption

    english, danish, swedish = await said(None), await said("da"), await said("sv")
    assert english[1] == "A cinema ticket"
    assert danish[1] == "En biografbillet"
    assert swedish[1] == "En biobiljett"
    assert code in danish[0]
    assert "En biografbillet" in danish[0]
    assert danish[0] != english[0]  # the refund's reason, in Danish
    assert await said("en") == english
    bad = await client.get(f"/v1/members/{member}/entries", params={"lang": "d"}, headers=TILL)
    assert bad.status_code == 422


async def test_a_rewards_name_refuses_control_characters(client: httpx.AsyncClient) -> None:
    body = {
        "id": "r-ctl",
        "kind": "free_product",
        "cost_points": 100,
        "names": {"da": "Kaffe\u0007"},
    }
    refused = await client.put("/v1/admin/rewards/r-ctl", json=body, headers=ADMIN)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "names", "da"]
    described = {**body, "names": {"da": "Kaffe"}, "descriptions": {"da": "to linjer\nher"}}
    assert (
        await client.put("/v1/admin/rewards/r-ctl", json=described, headers=ADMIN)
    ).status_code == 200


async def test_a_voucher_code_drawn_twice_never_overwrites_the_first_members_voucher(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codes are 60 random bits: a collision is rare, never impossible. The second member gets
    a code drawn again; the first keeps theirs."""
    draws = iter(["SAME-CODE-2345", "SAME-CODE-2345", "NEXT-CODE-6789"])
    monkeypatch.setattr(redeeming, "new_voucher_code", lambda: next(draws))
    ann, ben = await member_with(client, 500), await member_with(client, 500)
    first = await redeem(client, ann, "free-sourdough")
    second = await redeem(client, ben, "free-sourdough")
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json()["voucher"]["code"] == "SAME-CODE-2345"
    assert second.json()["voucher"]["code"] == "NEXT-CODE-6789"
    anns = (await client.get(f"/v1/members/{ann}/vouchers", headers=TILL)).json()
    assert [(v["code"], v["status"]) for v in anns] == [("SAME-CODE-2345", "issued")]
    bens = (await client.get(f"/v1/members/{ben}/vouchers", headers=TILL)).json()
    assert [v["code"] for v in bens] == ["NEXT-CODE-6789"]
