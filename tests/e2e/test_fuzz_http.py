"""Every HTTP API fuzzed from its own OpenAPI document by schemathesis, every check in every phase
(stateful included): generated requests, valid and invalid, never get a 5xx; every answer is one
the document describes (status, content type, schema, Allow); a request the schema allows is
not refused, one it forbids is; every error is a problem+json document (deploy/fuzz/hooks.py).

schemathesis runs from a virtualenv of its own (deploy/fuzz/install.sh), against the services as
real processes with a real Kafka and PostgreSQL behind them."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests import apps
from tests.e2e.system import SERVICES, System
from tests.infra import REPO

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
# Every check (conformance of statuses, content types, schemas, methods; our problem+json one)
# in every phase, the stateful one included. deploy/fuzz/schemathesis.toml lists, with their
# rules, the refusals a JSON Schema cannot state.
CHECKS = os.environ.get("FUZZ_CHECKS", "all")
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful")


@pytest.fixture(scope="module")
def schemathesis_cli() -> str:
    done = subprocess.run(
        [REPO / "deploy/fuzz/install.sh"], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize("service", SERVICES)
async def test_fuzzed_requests_get_no_server_error_and_only_problem_documents(
    system: System, schemathesis_cli: str, service: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            schemathesis_cli,
            "--config-file",
            str(REPO / "deploy/fuzz/schemathesis.toml"),
            "run",
            f"{system.urls[service]}/openapi.json",
            "--checks",
            CHECKS,
            "--header",
            f"X-API-Key: {apps.ALL_SCOPES_KEY}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            PHASES,
            "--workers",  # one: hypothesis's lambda descriptions are not thread-safe on 3.11
            "1",
            "--request-timeout",
            "20",
            "--seed",
            "7",
            "--generation-database",  # none: the same cases here as in CI, run after run
            "none",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO / "deploy/fuzz"),
            "SCHEMATHESIS_HOOKS": "hooks",
            "NO_COLOR": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    (REPO / "var" / f"fuzz-{service}.txt").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    summary = json.loads(report.read_text())
    print(f"{service}: {json.dumps(summary.get('statistic', summary))[:400]}")
