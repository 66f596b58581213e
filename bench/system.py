"""The system under test: Kafka and PostgreSQL started by the project's own scripts (in their own
state folders under ``var/bench-*``, with fsync on, as in production), and the three services as
real processes."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import asyncpg
import httpx

from tests.infra import REPO, free_port

SERVICES = ("rules", "ledger", "notifications")
API_KEY = "bench-key"


@dataclass
class Infra:
    """A broker and a cluster of the benchmark's own, removed afterwards."""

    kafka: str = ""
    postgres: str = ""
    kafka_dir: str = ""
    pg_dir: str = ""
    _envs: dict[str, dict[str, str]] = field(default_factory=dict)

    def start(self) -> None:
        kafka_port, controller = free_port(), free_port()
        self._envs["kafka"] = {
            **os.environ,
            "KAFKA_STATE_DIR": str(REPO / "var" / "bench-kafka"),
            "KAFKA_PORT": str(kafka_port),
            "KAFKA_CONTROLLER_PORT": str(controller),
        }
        pg_dir = REPO / "var" / "bench-postgres"
        self._envs["postgres"] = {
            **os.environ,
            "PG_STATE_DIR": str(pg_dir),
            "PG_PORT": str(free_port()),
            "PG_DATABASES": "",
            "PG_FSYNC": "on",
            # Outbox tables are queues: rows deleted as fast as they come. Autovacuum must
            # visit often, or the relays scan ever more dead rows (a minute's default let
            # 40,000 pile up in a run and made the relay's delete the costliest statement).
            "PG_OPTIONS": "-c shared_preload_libraries=pg_stat_statements -c autovacuum_naptime=5",
        }
        for name in ("kafka", "postgres"):
            shutil.rmtree(self._envs[name].get("KAFKA_STATE_DIR", str(pg_dir)), ignore_errors=True)
            subprocess.run([REPO / f"deploy/{name}/start.sh"], env=self._envs[name], check=True)
        self.kafka = f"127.0.0.1:{kafka_port}"
        pg_port = int((pg_dir / "port").read_text())
        self.postgres = f"postgresql+asyncpg://pointstream@127.0.0.1:{pg_port}"
        self.kafka_dir = self._envs["kafka"]["KAFKA_STATE_DIR"]
        self.pg_dir = str(pg_dir)

    async def count_statements(self) -> None:
        """Statements per database from here on (pg_stat_statements, in the cluster's
        postgres database)."""
        port = int(self.postgres.rsplit(":", 1)[1])
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="pointstream", database="postgres"
        )
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        finally:
            await conn.close()

    def stop(self) -> None:
        for name, env in self._envs.items():
            subprocess.run([REPO / f"deploy/{name}/stop.sh"], env=env, check=False)
            shutil.rmtree(env.get("KAFKA_STATE_DIR") or env["PG_STATE_DIR"], ignore_errors=True)

    async def create_database(self, name: str) -> str:
        port = int(self.postgres.rsplit(":", 1)[1])
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="pointstream", database="postgres"
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{self.postgres}/{name}"


@dataclass
class Services:
    infra: Infra
    prefix: str
    logs: Path
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    async def __aenter__(self) -> Self:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "KAFKA_BOOTSTRAP_SERVERS": self.infra.kafka,
            "KAFKA_TOPIC_PREFIX": self.prefix,
            "AUTH_API_KEYS": f'[{{"name": "bench", "key": "{API_KEY}", "scopes": ["*"]}}]',
        }
        self.logs.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            port = free_port()
            env[f"{service.upper()}_PORT"] = str(port)
            env[f"{service.upper()}_DATABASE_URL"] = await self.infra.create_database(
                f"bench_{service}"
            )
            self.urls[service] = f"http://127.0.0.1:{port}"
        for service in SERVICES:
            with (self.logs / f"{service}.log").open("wb") as log:
                self.processes[service] = subprocess.Popen(
                    [sys.executable, "-m", f"services.{service}", "serve", "--migrate"],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        self.env = env
        await self._wait_ready()
        return self

    async def spawn(self, name: str, command: list[str], env: dict[str, str], url: str) -> None:
        """One more process (a bare baseline, an API-only replica), stopped with the rest."""
        with (self.logs / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
            )
        self.urls[name] = url
        await self._wait_ready([name], path="/openapi.json")

    async def _wait_ready(self, names: list[str] | None = None, path: str = "/readyz") -> None:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(timeout=2) as client:
            for service in names or list(SERVICES):
                url = self.urls[service]
                while True:
                    if self.processes[service].poll() is not None:
                        raise RuntimeError(f"{service} exited; see {self.logs}/{service}.log")
                    try:
                        if (await client.get(f"{url}{path}")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{service} not ready in 120 s; see {self.logs}")
                    await asyncio.sleep(0.3)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each service process, in MB."""
        sizes = {}
        for service, process in self.processes.items():
            if service not in SERVICES:
                continue
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes[service] = int(line.split()[1]) / 1024
        return sizes
