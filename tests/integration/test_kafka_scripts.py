"""The deploy scripts start a broker that was killed -9 again at once. A killed process stays
a zombie until init reaps it (about a second here), and `kill -0` answers for a zombie: the
start script took the dead broker for a running one and started nothing (found by a chaos
run whose schedule brought a broker back 1.4 s after killing it)."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.infra import REPO, free_port

KAFKA = REPO / "deploy" / "kafka"


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_a_broker_killed_is_started_again_while_it_is_still_a_zombie(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_STATE_DIR": str(tmp_path / "broker"),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_HEAP_OPTS": "-Xms128m -Xmx256m",
    }
    subprocess.run([KAFKA / "start.sh"], env=env, check=True)
    try:
        pid = int((tmp_path / "broker" / "broker.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _state(pid) not in ("Z", None):
            assert time.monotonic() < deadline, "the broker did not die"
            time.sleep(0.01)
        subprocess.run([KAFKA / "start.sh"], env=env, check=True)
        assert int((tmp_path / "broker" / "broker.pid").read_text()) != pid, "not started again"
        assert _answers(port)
    finally:
        subprocess.run([KAFKA / "stop.sh"], env=env, check=False)
