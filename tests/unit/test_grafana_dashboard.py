"""The Grafana dashboard only charts metrics the services export, so it cannot drift silently."""

import json
import re

from prometheus_client import REGISTRY

import shared.metrics  # noqa: F401 - registers the metrics
from tests.infra import REPO


def exported() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("pointstream_"):
            names |= {s.name for s in family.samples} | {family.name}
            names |= {f"{family.name}_bucket", f"{family.name}_total"}
    return names


def test_every_panel_queries_an_exported_pointstream_metric() -> None:
    dashboard = json.loads((REPO / "deploy/grafana/pointstream.json").read_text())
    names = exported()
    queried = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            queried |= set(re.findall(r"pointstream_[a-z_]+", target["expr"]))
    assert queried, "the dashboard charts something"
    assert queried <= names, f"unknown metrics: {sorted(queried - names)}"
    for wanted in ("consumer_lag", "outbox_backlog", "points_awarded", "http_request_seconds"):
        assert any(wanted in q for q in queried), wanted
