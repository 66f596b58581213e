"""The three services as real processes (``python -m services.<name> serve --migrate``)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Browser

from shared.auth import Authenticator
from shared.settings import KafkaSettings
from tests import apps
from tests.conftest import Databases
from tests.e2e.system import SERVICES, System
from tests.infra import REPO, free_port
from tests.smtp import Mailbox


@pytest.fixture(scope="module")
async def system(
    kafka_bootstrap: str, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"e2e{os.getpid()}{int(time.time())}.",
        topic_partitions=3,
    )
    logs_dir = tmp_path_factory.mktemp("service-logs")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "KAFKA_TOPIC_PARTITIONS": "3",
        "AUTH_API_KEYS": apps.API_KEYS,
        "ACCESS_LOG": "all",  # the security test reads every request's log line
        "AUTH_MEMBER_TOKEN_SECRET": apps.TOKEN_SECRET,
        "RULES_JOBS_INTERVAL_SECONDS": "1",
        "LEDGER_JOBS_INTERVAL_SECONDS": "1",
    }
    urls: dict[str, str] = {}
    for service in SERVICES:
        port = free_port()
        prefix = service.upper()
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_DATABASE_URL"] = await databases.create(service)
        env[f"{prefix}_CONSUMER_GROUP"] = f"{kafka.topic_prefix}{service}"
        urls[service] = f"http://127.0.0.1:{port}"
    env["RULES_LEDGER_URL"] = urls["ledger"]  # the program report's liability and breakage
    env["RULES_LEDGER_API_KEY"] = apps.ADMIN_KEY
    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env["NOTIFICATIONS_SMTP_HOST"] = "127.0.0.1"
    env["NOTIFICATIONS_SMTP_PORT"] = str(smtp_port)
    logs = {service: logs_dir / f"{service}.log" for service in SERVICES}
    started = System(urls=urls, kafka=kafka, processes={}, logs=logs, env=env, mailbox=mailbox)
    for service in SERVICES:
        started.spawn(service)
    try:
        await started.wait_ready()
        yield started
    except BaseException:
        _dump_logs(started)
        raise
    finally:
        try:
            _stop(started)
        finally:
            smtp.stop()


def _stop(system: System) -> None:
    """SIGTERM each service; each must finish its shutdown (uvicorn then re-raises SIGTERM)."""
    for process in system.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    problems = []
    for service, process in system.processes.items():
        try:
            code = process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            problems.append(f"{service} did not stop within 40s of SIGTERM")
            continue
        clean = "Application shutdown complete" in system.logs[service].read_text()
        if code not in (0, -signal.SIGTERM) or not clean:
            problems.append(f"{service} exited with {code} without a clean shutdown")
    if problems:
        _dump_logs(system)
        raise AssertionError("; ".join(problems))


def _dump_logs(system: System) -> None:
    for service, log in system.logs.items():
        sys.stderr.write(f"--- {service} log (last 60 lines) ---\n")
        sys.stderr.writelines(log.read_text(errors="replace").splitlines(True)[-60:])


@pytest.fixture
def member_token() -> Callable[[str], str]:
    """Mints a member's token, as the retailer's identity provider would."""
    return Authenticator(apps.auth_settings()).issue_member_token


# The console and Chromium, for the console's browser tests (tests/e2e/test_console*.py).
@pytest.fixture(scope="module")
def console(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.e2e.console_helpers import running_console  # (it imports this module)

    with running_console(system, tmp_path_factory.mktemp("console")) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    from tests.e2e.console_helpers import CHROMIUM

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()
