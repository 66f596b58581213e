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
import time
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

    def kill(self) -> None:
        """kill -9 all of its processes at once, as a power cut would: no shutdown, no flush.
        The next :meth:`start` recovers from what reached the disk."""
        if "KAFKA_STATE_DIR" in self.env:
            pid_file = Path(self.env["KAFKA_STATE_DIR"]) / "broker.pid"
        else:
            pid_file = Path(self.env["PG_STATE_DIR"]) / "data" / "postmaster.pid"
        main = pid_file.read_text().split()[0]
        children = subprocess.run(
            ["pgrep", "-P", main], capture_output=True, text=True, check=False
        ).stdout.split()
        pids = [main, *children]
        subprocess.run(["kill", "-KILL", *pids], check=False)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.script_dir.name} still running after kill -9")
            time.sleep(0.05)


def _alive(pid: str) -> bool:
    """Running, and not a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


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
    with own_kafka() as broker:
        yield broker


@contextlib.contextmanager
def own_kafka() -> Iterator[str]:
    """A broker of this session's own (``deploy/kafka``), whatever else the tests use."""
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
        OWN.pop(f"127.0.0.1:{port}", None)
        subprocess.run([REPO / "deploy/kafka/stop.sh"], env=env, check=False)
        subprocess.run(["rm", "-rf", env["KAFKA_STATE_DIR"]], check=False)


@dataclass(frozen=True)
class OwnCluster:
    """Three KRaft nodes of this session's own (``deploy/kafka/cluster.sh``)."""

    bootstrap: str
    ports: tuple[int, ...]
    env: dict[str, str]

    def node(self, port: int) -> int:
        """The node id of the broker on ``port``."""
        return self.ports.index(port) + 1

    def kill(self, node: int) -> None:
        """kill -9 one node, as a power cut would."""
        state = Path(self.env["KAFKA_CLUSTER_DIR"]) / f"node-{node}"
        OwnService(REPO / "deploy/kafka", {**self.env, "KAFKA_STATE_DIR": str(state)}).kill()

    def start(self, node: int) -> None:
        subprocess.run(
            [REPO / "deploy/kafka/cluster.sh", "start", str(node)], env=self.env, check=True
        )


@contextlib.contextmanager
def own_kafka_cluster() -> Iterator[OwnCluster]:
    ports = tuple(free_port() for _ in range(3))
    controllers = [free_port() for _ in range(3)]
    env = {
        **os.environ,
        "KAFKA_CLUSTER_DIR": str(REPO / "var" / f"test-kafka-cluster-{ports[0]}"),
        "KAFKA_CLUSTER_PORTS": ",".join(map(str, ports)),
        "KAFKA_CLUSTER_CONTROLLER_PORTS": ",".join(map(str, controllers)),
    }
    script = REPO / "deploy/kafka/cluster.sh"
    try:
        subprocess.run([script, "start"], env=env, check=True)
        yield OwnCluster(",".join(f"127.0.0.1:{p}" for p in ports), ports, env)
    finally:
        subprocess.run([script, "stop"], env=env, check=False)
        subprocess.run(["rm", "-rf", env["KAFKA_CLUSTER_DIR"]], check=False)


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
    # A throwaway cluster: durability is not under test here (the outage test has its own).
    with own_postgres("test-postgres", fsync=False) as url:
        yield url


@contextlib.contextmanager
def own_postgres(name: str, *, fsync: bool) -> Iterator[str]:
    """A cluster of this session's own (``deploy/postgres``) under ``var/<name>``."""
    port = free_port()
    env = {
        **os.environ,
        "PG_STATE_DIR": str(REPO / "var" / name),
        "PG_PORT": str(port),
        "PG_DATABASES": "",
        "PG_FSYNC": "on" if fsync else "off",
    }
    subprocess.run([REPO / "deploy/postgres/start.sh"], env=env, check=True)
    port = int((Path(env["PG_STATE_DIR"]) / "port").read_text())  # moved if ours was taken
    env["PG_PORT"] = str(port)
    url = f"postgresql+asyncpg://pointstream@127.0.0.1:{port}"
    OWN[url] = OwnService(REPO / "deploy/postgres", env)
    try:
        yield url
    finally:
        OWN.pop(url, None)
        subprocess.run([REPO / "deploy/postgres/stop.sh"], env=env, check=False)
