"""Finds Kafka and PostgreSQL for the tests, in this order:

1. connection settings from the environment (``TEST_KAFKA_BOOTSTRAP_SERVERS``,
   ``TEST_POSTGRES_URL`` such as ``postgresql+asyncpg://user:pw@host:5432``);
2. testcontainers, when a Docker daemon answers;
3. the project's own scripts in ``deploy/`` (a broker and a cluster under ``var/test-*``).

Whatever a provider started, it stops when the test session ends.
"""

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class OwnService:
    """A broker or cluster this test session started itself, so tests may stop and restart it
    (outage tests); those started elsewhere are not ours to stop."""

    script_dir: Path
    env: dict[str, str]

    def stop(self) -> None:
        subprocess.run([self.script_dir / "stop.sh"], env=self.env, check=True)

    def start(self) -> None:
        subprocess.run([self.script_dir / "start.sh"], env=self.env, check=True)


OWN: dict[str, OwnService] = {}  # by bootstrap servers or server URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def docker_answers() -> bool:
    """True when a Docker engine answers ``/_ping`` (unix socket or ``DOCKER_HOST=tcp://``)."""
    if os.environ.get("TESTCONTAINERS_DISABLED"):
        return False
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: str | tuple[str, int] = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").partition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (name, int(port or 2375))
        else:
            return False
        with sock:
            sock.settimeout(3)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(1024)
    except OSError:
        return False


@contextlib.contextmanager
def kafka_bootstrap_servers() -> Iterator[str]:
    if servers := os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
    elif docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        yield from _deploy_script_kafka()


def _deploy_script_kafka() -> Iterator[str]:
    port, controller = free_port(), free_port()
    env = {
        **os.environ,
        "KAFKA_STATE_DIR": str(REPO / "var" / f"test-kafka-{port}"),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller),
    }
    subprocess.run([REPO / "deploy/kafka/start.sh"], env=env, check=True)
    OWN[f"127.0.0.1:{port}"] = OwnService(REPO / "deploy/kafka", env)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([REPO / "deploy/kafka/stop.sh"], env=env, check=False)
        subprocess.run(["rm", "-rf", env["KAFKA_STATE_DIR"]], check=False)


@contextlib.contextmanager
def postgres_server_url() -> Iterator[str]:
    """A URL without a database name; tests create the databases they use."""
    if url := os.environ.get("TEST_POSTGRES_URL"):
        yield url.rstrip("/")
    elif docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as pg:
            yield pg.get_connection_url().rsplit("/", 1)[0]
    else:
        yield from _deploy_script_postgres()


def _deploy_script_postgres() -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PG_STATE_DIR": str(REPO / "var" / "test-postgres"),
        "PG_PORT": str(port),
        "PG_DATABASES": "",
        "PG_FSYNC": "off",  # throwaway test cluster: durability is not under test here
    }
    subprocess.run([REPO / "deploy/postgres/start.sh"], env=env, check=True)
    port = int((Path(env["PG_STATE_DIR"]) / "port").read_text())  # moved if ours was taken
    env["PG_PORT"] = str(port)
    OWN[f"postgresql+asyncpg://pointstream@127.0.0.1:{port}"] = OwnService(
        REPO / "deploy/postgres", env
    )
    try:
        yield f"postgresql+asyncpg://pointstream@127.0.0.1:{port}"
    finally:
        subprocess.run([REPO / "deploy/postgres/stop.sh"], env=env, check=False)
