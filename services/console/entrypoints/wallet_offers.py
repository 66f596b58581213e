"""A member's offers in the wallet: activating ("clipping") one, with the member's own token;
the rules service takes the activation as an event, in order with the member's purchases."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.console.adapters.backends import path_segment
from services.console.adapters.sessions import same_token
from services.console.entrypoints.context import ConsoleDep
from services.console.entrypoints.wallet import one_sentence, signed_in_wallet

router = APIRouter(prefix="/wallet")


@router.post("/offers/activate")
async def activate(
    request: Request,
    console: ConsoleDep,
    offer_id: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    wallet = signed_in_wallet(console, request)
    if wallet is None:
        return one_sentence(console, request, "en", message="expired", status=401)
    if not same_token(csrf, wallet):
        return RedirectResponse("/wallet", status_code=303)
    member = path_segment(wallet.member_id)
    answer = await console.backends.call(
        "rules",
        "POST",
        f"/v1/members/{member}/offers/{path_segment(offer_id)}/activation",
        token=wallet.token,
    )
    if not answer.ok:
        return one_sentence(
            console, request, wallet.language, problem=answer.problem, status=answer.status
        )
    return RedirectResponse(f"/wallet?activated={path_segment(offer_id)}#offers", status_code=303)
