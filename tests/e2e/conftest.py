"""Real processes on free ports: the case backend (demo data, its own SQLite file), the
action server (with the test-only identity path switched on) and `rasa run`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from actions.backend_types import Caller
from actions.identity_assertion import HEADER as ASSERTION_HEADER
from actions.identity_assertion import AssertionSigner
from common.service_credentials import ServiceCredentials, without_credentials
from tests.ports import free_port

from .sms_harness import SmsTestSetup
from .voice_harness import VoiceTestSetup

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"
BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"


def http_json(url: str, payload: Any | None = None, timeout: float = 30,
              headers: dict[str, str] | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class Backend:
    """The running case backend, for the tests' own lookups (never through the bot)."""

    url: str
    credentials: ServiceCredentials
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(BACKEND_PY), "-m", "casebackend"],
                                            cwd=ROOT / "casebackend", env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http_json(f"{self.url}/health", timeout=2).get("status") == "ok":
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                time.sleep(0.3)
        raise RuntimeError("case backend did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def get(self, path: str, person_ref: str) -> Any:
        """As the action server asks: its token and an assertion (the logged-in web chat)."""
        signer = AssertionSigner.from_text(self.credentials.assertion_key)
        caller = Caller(person_ref, "web", logged_in_web=True)
        return http_json(f"{self.url}{path}", headers={
            "Authorization": f"Bearer {self.credentials.actions_token}",
            ASSERTION_HEADER: signer.sign(caller, "GET", path.split("?")[0])})

    def person_ref(self, personnummer: str) -> str:
        body = http_json(f"{self.url}/v1/person-lookups", {"personnummer": personnummer},
                         headers={"Authorization": f"Bearer {self.credentials.lookup_token}"})
        return str(body["person_ref"])


# E2E_TRACKER_STORE=postgresql runs the same tests on the machine's PostgreSQL tracker store
# (a fresh database, dropped afterwards); the default is an SQLite file.
TRACKER_STORE = os.environ.get("E2E_TRACKER_STORE", "sqlite")
POSTGRES_DSN = os.environ.get("E2E_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres "
                              "dbname=test")


def _postgres(sql: str, dsn: str = POSTGRES_DSN) -> None:
    import psycopg2

    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@dataclass
class Assistant:
    base_url: str
    tracker_db: Path  # the SQLite file, or unused with PostgreSQL
    backend: Backend
    sms: SmsTestSetup | None = None
    voice: VoiceTestSetup | None = None
    # The processes' output, scanned for personal data by the tests.
    logs: list[Path] = field(default_factory=list)

    def send(self, sender: str, text: str,
             metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        payload: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            payload["metadata"] = metadata
        return list(http_json(f"{self.base_url}/webhooks/rest/webhook", payload))

    postgres_db: str | None = None
    # Signs the tokens for Rasa's HTTP API (on behind a JWT, as in production).
    jwt_secret: str = ""

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from the tracker store, whichever it is ('?' placeholders)."""
        if self.postgres_db is None:
            with sqlite3.connect(self.tracker_db) as db:
                return list(db.execute(sql, params).fetchall())
        import psycopg2

        dsn = POSTGRES_DSN.replace("dbname=test", f"dbname={self.postgres_db}")
        connection = psycopg2.connect(dsn)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params or None)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def texts(self, sender: str, text: str,
              metadata: dict[str, Any] | None = None) -> list[str]:
        return [m.get("text", "") for m in self.send(sender, text, metadata)]


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            status = http_json(url, timeout=2)
            if status.get("status") == "ready":
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
    rasa_port, actions_port, backend_port = free_port(), free_port(), free_port()
    service_credentials = ServiceCredentials.generate()
    jwt_secret = "e2e-jwt-" + os.urandom(24).hex()
    backend_env = {**without_credentials(os.environ), **service_credentials.backend_env(),
                   # This tree's case backend, whichever tree its venv was installed from.
                   "PYTHONPATH": str(ROOT / "casebackend" / "src"),
                   "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cb.db'}",
                   "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": str(backend_port),
                   "TZ": "Europe/Stockholm"}
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "casebackend.demo"]):
        subprocess.run([str(BACKEND_PY), *step], cwd=ROOT / "casebackend", env=backend_env,
                       check=True, capture_output=True)
    backend = Backend(f"http://127.0.0.1:{backend_port}", service_credentials, backend_env,
                      workdir / "backend.log")
    backend.start()
    tracker_db = workdir / "tracker.db"
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    postgres_db = None
    if TRACKER_STORE == "postgresql":
        postgres_db = f"e2e_tracker_{os.urandom(4).hex()}"
        _postgres(f"CREATE DATABASE {postgres_db}")
        endpoints["tracker_store"] = {**endpoints["tracker_store"], "dialect": "postgresql",
                                      "url": "127.0.0.1", "port": 5432, "db": postgres_db,
                                      "username": "postgres"}
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    # The channels' test settings on top of bot/credentials.yml (SMS: a fake Twilio REST API).
    sms = SmsTestSetup(workdir / "sms.db").start()
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    credentials.update(sms.credentials())
    voice = VoiceTestSetup(workdir / "voice.db", sms)
    credentials.update(voice.credentials())
    (workdir / "credentials.yml").write_text(yaml.safe_dump(credentials))
    env = {**without_credentials(os.environ), **service_credentials.assistant_env(),
           "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CASEBACKEND_URL": backend.url,
           "ASSISTANT_TEST_IDENTITY": "on",
           "CASEBACKEND_BREAKER_RESET_SECONDS": "1", "TZ": "Europe/Stockholm",
           # Identification: the channel and the action server share the vault.
           "IDENTITY_VAULT_KEY": Fernet.generate_key().decode(),
           "IDENTITY_VAULT_PATH": str(workdir / "vault.db"),
           "IDENTITY_ATTEMPTS_PATH": str(workdir / "attempts.db"),
           "IDENTITY_MAX_STARTS": "50", "IDENTITY_MAX_STARTS_PER_PERSON": "500",
           "BANKID_SIMULATOR_CONFIRM_SECONDS": "0.5"}
    logs = [(workdir / name).open("wb") for name in ("actions.log", "rasa.log")]
    processes = [
        subprocess.Popen([sys.executable, "-m", "actions.server",
                          "--port", str(actions_port)], cwd=ROOT, env=env,
                         stdout=logs[0], stderr=subprocess.STDOUT),
        # As in production (scripts/serve.py): the API behind a JWT, readiness on /ready.
        subprocess.Popen([sys.executable, str(ROOT / "scripts" / "rasa_server.py"), "--api",
                          "--model", str(MODEL),
                          "--endpoints", str(workdir / "endpoints.yml"),
                          "--credentials", str(workdir / "credentials.yml"),
                          "--interface", "127.0.0.1", "--port", str(rasa_port)],
                         cwd=ROOT, env={**env, "RASA_JWT_SECRET": jwt_secret},
                         stdout=logs[1], stderr=subprocess.STDOUT),
    ]
    try:
        _wait_until_up(f"http://127.0.0.1:{rasa_port}/ready", processes, timeout=240)
        sms.connect(f"http://127.0.0.1:{rasa_port}")
        yield Assistant(f"http://127.0.0.1:{rasa_port}", tracker_db, backend, sms=sms,
                        postgres_db=postgres_db, jwt_secret=jwt_secret,
                        voice=voice,
                        logs=[workdir / "actions.log", workdir / "rasa.log",
                              workdir / "backend.log"])
    finally:
        backend.stop()
        sms.stop()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        if postgres_db is not None:
            _postgres(f"DROP DATABASE IF EXISTS {postgres_db} WITH (FORCE)")
