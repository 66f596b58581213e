"""The whole system for a chaos run, started by the project's own scripts: a three-broker Kafka
cluster, PostgreSQL with fsync on, a real SMTP server, and each service as two replicas (their
Kafka workers and their HTTP API) on one database per service. Every piece can be killed,
stopped, continued and started again; everything is stopped at the end."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

from tests import apps
from tests.conftest import Databases
from tests.infra import REPO, OwnCluster, OwnService, free_port, own_kafka_cluster, own_postgres
from tests.smtp import Mailbox

SERVICES = ("rules", "ledger", "notifications")
REPLICAS = tuple(f"{s}-{r}" for s in SERVICES for r in (0, 1))


@dataclass
class ChaosSystem:
    cluster: OwnCluster
    postgres: OwnService
    env: dict[str, str]
    ports: dict[str, int]  # replica -> its HTTP port
    logs: Path
    topic_prefix: str
    mailbox: Mailbox
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)

    def url(self, replica: str) -> str:
        return f"http://127.0.0.1:{self.ports[replica]}"

    def urls(self, service: str) -> list[str]:
        """Both replicas of the service, the one a caller should try first first."""
        return [self.url(f"{service}-{r}") for r in (0, 1)]

    def log(self, replica: str) -> Path:
        return self.logs / f"{replica}.log"

    def spawn(self, replica: str, **env: str) -> None:
        """Start the replica (again); ``env`` adds settings for this process, e.g.
        ``POINTSTREAM_FAULT`` to arm a fault point."""
        service = replica.rsplit("-", 1)[0]
        with self.log(replica).open("ab") as log:
            self.processes[replica] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}", "serve", "--migrate"],
                cwd=REPO,
                env={**self.env, f"{service.upper()}_PORT": str(self.ports[replica]), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self, replica: str) -> None:
        """kill -9: no shutdown, no commit, no goodbye."""
        process = self.processes[replica]
        if replica in self.stopped:
            self.cont(replica)
        process.kill()
        process.wait()

    def stop(self, replica: str) -> None:
        """SIGSTOP: the process is frozen mid-whatever, its sessions and leases run out."""
        self.processes[replica].send_signal(signal.SIGSTOP)
        self.stopped.add(replica)

    def cont(self, replica: str) -> None:
        self.processes[replica].send_signal(signal.SIGCONT)
        self.stopped.discard(replica)

    def end(self, replica: str) -> None:
        """SIGTERM, as a deployment would: it finishes what it is doing (kill -9 after 40 s)."""
        process = self.processes[replica]
        if replica in self.stopped:
            self.cont(replica)
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def frozen(self, replica: str) -> bool:
        """Whether the replica stopped itself (SIGSTOP at a fault point)."""
        try:
            stat = Path(f"/proc/{self.processes[replica].pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")

    def exited(self, replica: str) -> int | None:
        return self.processes[replica].poll()

    async def ready(self, replica: str) -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"{self.url(replica)}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    def shut_down(self) -> list[str]:
        """SIGTERM every replica, kill what does not stop within 40 s; what went wrong."""
        problems = []
        for replica in self.processes:
            if replica in self.stopped:
                self.cont(replica)
            if self.processes[replica].poll() is None:
                self.processes[replica].send_signal(signal.SIGTERM)
        for replica, process in self.processes.items():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                problems.append(f"{replica} did not stop within 40 s of SIGTERM")
        return problems


@contextlib.asynccontextmanager
async def started(
    logs: Path, prepare: Callable[["ChaosSystem"], Awaitable[None]]
) -> AsyncIterator[ChaosSystem]:
    """The system, up and ready: the first rules replica, then ``prepare`` (the program, so
    that every other replica starts with it), then the others one by one (each migrates on
    start)."""

    logs.mkdir(parents=True, exist_ok=True)
    name = f"test-postgres-chaos-{os.getpid()}"
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, REPO / "var" / name, ignore_errors=True)
        async with _started(logs, prepare, name) as system:
            yield system


@contextlib.asynccontextmanager
async def _started(
    logs: Path, prepare: Callable[["ChaosSystem"], Awaitable[None]], name: str
) -> AsyncIterator[ChaosSystem]:
    from tests.polling import eventually

    with (
        own_kafka_cluster() as cluster,
        own_postgres(name, fsync=True) as postgres_url,
    ):
        from tests.infra import OWN

        databases = Databases(postgres_url)
        prefix = f"chaos{os.getpid()}."
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
            "KAFKA_TOPIC_PARTITIONS": "4",
            "AUTH_API_KEYS": apps.API_KEYS,
            "AUTH_MEMBER_TOKEN_SECRET": apps.TOKEN_SECRET,
            "RULES_JOBS_INTERVAL_SECONDS": "5",
            "LEDGER_JOBS_INTERVAL_SECONDS": "5",
            "LOG_LEVEL": "INFO",
            # A delivery's lease shorter than the schedule's stops (12-40 s): a stopped replica
            # loses what it had taken, and must not send it when it is continued.
            "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "8",
        }
        for service in SERVICES:
            env[f"{service.upper()}_DATABASE_URL"] = await databases.create(service)
            env[f"{service.upper()}_CONSUMER_GROUP"] = f"{prefix}{service}"
        ports = {replica: free_port() for replica in REPLICAS}
        env["RULES_LEDGER_URL"] = f"http://127.0.0.1:{ports['ledger-0']}"
        env["RULES_LEDGER_API_KEY"] = apps.ADMIN_KEY
        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        smtp.start()
        env["NOTIFICATIONS_SMTP_HOST"] = "127.0.0.1"
        env["NOTIFICATIONS_SMTP_PORT"] = str(smtp.port)
        system = ChaosSystem(cluster, OWN[postgres_url], env, ports, logs, prefix, mailbox)
        try:
            for replica in REPLICAS:
                if replica == "rules-1":
                    await prepare(system)
                system.spawn(replica)
                await eventually(
                    lambda r=replica: system.ready(r),  # type: ignore[misc]
                    bool,
                    timeout=120,
                    interval=0.3,
                    what=f"{replica} ready",
                )
            yield system
        finally:
            problems = system.shut_down()
            smtp.stop()
            if problems:
                sys.stderr.write("; ".join(problems) + "\n")
