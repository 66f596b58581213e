"""The loyalty ladder, for a manager: how many members stand on each stage now (highest
first), and how they moved between two days, drawn as a flow chart (a Sankey diagram) with
the same figures in a table."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.adapters.backends import REPORTS
from services.console.entrypoints.context import ConsoleDep, manager, page

router = APIRouter(prefix="/ladder")
WIDTH, HEIGHT, NODE, GAP = 640, 360, 14, 10
NEW = "Not yet placed"


def _day(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


@router.get("", response_class=HTMLResponse)
async def ladder(request: Request, console: ConsoleDep, start: str = "", end: str = "") -> Response:
    session = manager(console, request)
    today = datetime.now(UTC).date()
    last = _day(end, today)
    first = _day(start, last - timedelta(days=30))
    if first > last:
        first, last = last, first
    down: list[str] = []
    stages = await console.backends.read(
        "rules", "/v1/ladder", down=down, key=session.key, scope=REPORTS
    )
    moved = await console.backends.read(
        "rules",
        "/v1/ladder/movement",
        down=down,
        key=session.key,
        scope=REPORTS,
        params={
            "from": datetime.combine(first, time.max, UTC).isoformat(),
            "to": datetime.combine(last, time.max, UTC).isoformat(),
        },
    )
    ladder_body = stages.body if stages is not None and stages.ok else {"stages": []}
    movement = moved.body if moved is not None and moved.ok else None
    names = {s["id"]: s["name"]["en"] for s in ladder_body["stages"]}
    order = [s["id"] for s in sorted(ladder_body["stages"], key=lambda s: -s["rank"])]
    return page(
        console,
        request,
        "ladder.html",
        session=session,
        stages=sorted(ladder_body["stages"], key=lambda s: -s["rank"]),
        version=ladder_body.get("version", 0),
        movement=movement,
        chart=sankey(movement, order, names) if movement else None,
        names=names | {"": NEW},
        start=first.isoformat(),
        end=last.isoformat(),
        down=down,
    )


def sankey(movement: dict[str, Any], order: list[str], names: dict[str, str]) -> dict[str, Any]:
    """Boxes for the stages at the start (left) and the end (right), and a band per flow
    whose thickness is its members: all in SVG coordinates."""
    flows = [f for f in movement["flows"] if f["members"] > 0]
    total = sum(f["members"] for f in flows)
    if total == 0:
        return {"nodes": [], "bands": []}
    ranks = {stage: n for n, stage in enumerate([*order, ""])}

    def column(side: str) -> dict[str, int]:
        counted: dict[str, int] = {}
        for f in flows:
            counted[f[side]] = counted.get(f[side], 0) + f["members"]
        return dict(sorted(counted.items(), key=lambda kv: ranks.get(kv[0], 99)))

    left, right = column("from"), column("to")
    gaps = max(len(left), len(right)) - 1
    scale = (HEIGHT - GAP * gaps) / total
    nodes, tops = [], {}
    for side, counts, x in (("from", left, 0), ("to", right, WIDTH - NODE)):
        y = 0.0
        for stage, n in counts.items():
            tops[(side, stage)] = y
            nodes.append(
                {
                    "x": x,
                    "y": round(y, 1),
                    "h": round(max(n * scale, 1), 1),
                    "label": f"{names.get(stage, stage) if stage else NEW}: {n:,}",
                    "anchor": "start" if side == "from" else "end",
                    "tx": NODE + 6 if side == "from" else WIDTH - NODE - 6,
                    "stage": stage,
                }
            )
            y += n * scale + GAP
    bands = []
    flows.sort(key=lambda f: (ranks.get(f["from"], 99), ranks.get(f["to"], 99)))
    middle = WIDTH / 2
    for f in flows:
        h = f["members"] * scale
        y0, y1 = tops[("from", f["from"])], tops[("to", f["to"])]
        tops[("from", f["from"])] += h
        tops[("to", f["to"])] += h
        x0, x1 = NODE, WIDTH - NODE
        path = (
            f"M{x0},{y0:.1f} C{middle},{y0:.1f} {middle},{y1:.1f} {x1},{y1:.1f} "
            f"L{x1},{y1 + h:.1f} C{middle},{y1 + h:.1f} {middle},{y0 + h:.1f} {x0},{y0 + h:.1f} Z"
        )
        title = f"{names.get(f['from'], NEW) if f['from'] else NEW} → {names.get(f['to'], f['to'])}"
        bands.append({"d": path, "title": f"{title}: {f['members']:,}", "up": _up(f, ranks)})
    return {"nodes": nodes, "bands": bands, "width": WIDTH, "height": HEIGHT}


def _up(flow: dict[str, Any], ranks: dict[str, int]) -> str:
    if not flow["from"] or flow["from"] == flow["to"]:
        return "same"
    return "up" if ranks.get(flow["to"], 99) < ranks.get(flow["from"], 99) else "down"
