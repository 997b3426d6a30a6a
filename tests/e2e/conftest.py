"""Real processes on free ports: the case backend (demo data, its own SQLite file), the
action server (with the test-only identity path switched on) and `rasa run`."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from common.service_credentials import ServiceCredentials, without_credentials
from tests.ports import free_port
from tests.stack.assistant import BACKEND_PY as BACKEND_PY
from tests.stack.assistant import MODEL as MODEL
from tests.stack.assistant import ROOT as ROOT
from tests.stack.assistant import AssistantProcesses, action_server, rasa, rasa_endpoints
from tests.stack.assistant import Backend as Backend
from tests.stack.assistant import http_json as http_json

from .sms_harness import SmsTestSetup
from .voice_harness import VoiceTestSetup

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
    backend = Backend(f"http://127.0.0.1:{backend_port}", service_credentials, backend_env,
                      workdir / "backend.log")
    backend.start()
    tracker_db = workdir / "tracker.db"
    endpoints = rasa_endpoints(actions_port, tracker_db)
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
    processes = AssistantProcesses(
        action_server([sys.executable, "-m", "actions.server", "--port", str(actions_port)],
                      env, workdir / "actions.log", actions_port),
        # As in production (scripts/serve.py): the API behind a JWT, readiness on /ready.
        rasa([sys.executable, str(ROOT / "scripts" / "rasa_server.py"), "--api",
              "--model", str(MODEL),
              "--endpoints", str(workdir / "endpoints.yml"),
              "--credentials", str(workdir / "credentials.yml"),
              "--interface", "127.0.0.1", "--port", str(rasa_port)],
             {**env, "RASA_JWT_SECRET": jwt_secret}, workdir / "rasa.log", rasa_port))
    try:
        processes.start(timeout=240)
        sms.connect(f"http://127.0.0.1:{rasa_port}")
        yield Assistant(f"http://127.0.0.1:{rasa_port}", tracker_db, backend, sms=sms,
                        postgres_db=postgres_db, jwt_secret=jwt_secret,
                        voice=voice, logs=[*processes.logs, backend.log])
    finally:
        backend.stop()
        sms.stop()
        processes.stop()
        if postgres_db is not None:
            _postgres(f"DROP DATABASE IF EXISTS {postgres_db} WITH (FORCE)")
