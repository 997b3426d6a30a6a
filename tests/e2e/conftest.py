"""Real processes: the action server and `rasa run` with the trained model, on free ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(url: str, payload: Any | None = None, timeout: float = 30) -> Any:
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class Assistant:
    base_url: str
    tracker_db: Path

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        result = http_json(f"{self.base_url}/webhooks/rest/webhook",
                           {"sender": sender, "message": text})
        return list(result)

    def texts(self, sender: str, text: str) -> list[str]:
        return [m.get("text", "") for m in self.send(sender, text)]


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            status = http_json(url, timeout=2)
            if status.get("model_file"):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not up after {timeout} s")


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    workdir = tmp_path_factory.mktemp("assistant")
    rasa_port, actions_port = free_port(), free_port()
    tracker_db = workdir / "tracker.db"
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    logs = [(workdir / name).open("wb") for name in ("actions.log", "rasa.log")]
    processes = [
        subprocess.Popen([str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                          "--port", str(actions_port)], cwd=ROOT, env=env,
                         stdout=logs[0], stderr=subprocess.STDOUT),
        subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL),
                          "--endpoints", str(workdir / "endpoints.yml"),
                          "--credentials", str(ROOT / "bot" / "credentials.yml"),
                          "--interface", "127.0.0.1", "--port", str(rasa_port),
                          "--enable-api"], cwd=ROOT, env=env,
                         stdout=logs[1], stderr=subprocess.STDOUT),
    ]
    try:
        _wait_until_up(f"http://127.0.0.1:{rasa_port}/status", processes, timeout=240)
        yield Assistant(f"http://127.0.0.1:{rasa_port}", tracker_db)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
