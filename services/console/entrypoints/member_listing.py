"""The members as a table a manager can work with: sorted by a column (a header's link),
narrowed by the start of their id, a page of 50 at a time (the ledger sorts and counts)."""

from typing import Any
from urllib.parse import urlencode

from services.console.adapters.backends import ADMIN
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleContext

PAGE = 50
COLUMNS = {
    "member_id": "Member",
    "available": "Points to spend",
    "pending": "Pending",
    "lifetime_earned": "Earned in all",
    "updated_at": "Last change",
}


async def listing(
    console: ConsoleContext,
    session: Session,
    *,
    sort: str,
    order: str,
    prefix: str,
    page_no: int,
    down: list[str],
) -> dict[str, Any] | None:
    sort = sort if sort in COLUMNS else "updated_at"
    order = "asc" if order == "asc" else "desc"
    page_no = max(1, min(page_no, 200_000))
    answer = await console.backends.read(
        "ledger",
        "/v1/admin/members",
        down=down,
        key=session.key,
        scope=ADMIN,
        params={
            "sort": sort,
            "order": order,
            "prefix": prefix[:200],
            "limit": PAGE,
            "offset": (page_no - 1) * PAGE,
        },
    )
    if answer is None or not answer.ok:
        return None
    total = int(answer.body["total"])
    pages = max(1, -(-total // PAGE))

    def link(**change: Any) -> str:
        query = {"sort": sort, "order": order, "prefix": prefix, "page": page_no, **change}
        return "/members?" + urlencode({k: v for k, v in query.items() if v not in ("", None)})

    headers = [
        {
            "label": label,
            "link": link(
                sort=column,
                order="asc" if column == sort and order == "desc" else "desc",
                page=1,
            ),
            "sorted": ("ascending" if order == "asc" else "descending") if column == sort else None,
        }
        for column, label in COLUMNS.items()
    ]
    return {
        "rows": answer.body["members"],
        "total": total,
        "page": page_no,
        "pages": pages,
        "headers": headers,
        "previous": link(page=page_no - 1) if page_no > 1 else None,
        "next": link(page=page_no + 1) if page_no < pages else None,
        "prefix": prefix,
        "sort": sort,
        "order": order,
    }
