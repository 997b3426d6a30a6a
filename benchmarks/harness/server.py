"""The action server and Rasa for a benchmark, in a temporary directory.

Launched as deploy/stack.py launches a replica (scripts/rasa_server.py with the production
flags, HTTP API off; `python -m actions.server`) and configured as deployed: bot/endpoints.yml
with the tracker store (its class and options kept) pointed at the run's own SQLite file or
PostgreSQL database, and bot/credentials.yml with this run's secrets in the environment
variables it names, the channels' files in the work directory, the web chat's rate limit
raised out of the way, and one channel added: Rasa's bare REST channel on /webhooks/bare_rest/,
the baseline. SMS and voice check signatures against this run's Twilio auth token; nothing is
ever sent to Twilio. Also here: each process's memory (/proc) and the model load time.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import yaml
from cryptography.fernet import Fernet

from deploy.processes import Service, json_status_ok

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"
POSTGRES_DSN = os.environ.get("BENCH_POSTGRES_DSN",
                              "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PUBLIC_BASE_URL = "https://bench.example.se"
BASELINE_CHANNEL = "benchmarks.harness.baseline.BareRestInput"
# Rasa's "up" line, logged once the model is loaded and the channels are registered.
UP_LINE = "Rasa server is up and running"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TwilioAccount:
    """The account the run's SMS and voice channels check signatures against."""

    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    public_base_url: str = PUBLIC_BASE_URL


# The settings of a SQL tracker store block that say where the database is; the others (the
# store's class, bounded-history options) stay as bot/endpoints.yml has them.
_DATABASE_KEYS = ("dialect", "url", "host", "port", "db", "username", "password", "login_db",
                  "query")


@dataclass(frozen=True)
class TrackerStore:
    """SQLite file (the embedded default) or a PostgreSQL database, for endpoints.yml."""

    kind: str  # "sqlite" | "postgresql"
    sqlite_path: Path | None = None
    postgres_db: str | None = None

    def endpoint(self, configured: dict[str, Any]) -> dict[str, Any]:
        """``configured`` (bot/endpoints.yml's block) pointed at this database."""
        block = {key: value for key, value in configured.items() if key not in _DATABASE_KEYS}
        block.setdefault("type", "SQL")
        if self.kind == "sqlite" and self.sqlite_path is not None:
            return {**block, "dialect": "sqlite", "db": str(self.sqlite_path)}
        if self.kind == "postgresql" and self.postgres_db is not None:
            return {**block, "dialect": "postgresql", "url": "127.0.0.1", "port": 5432,
                    "db": self.postgres_db, "username": "postgres"}
        raise ValueError(f"incomplete tracker store {self!r}")


def _postgres(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(POSTGRES_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A uniquely named database on the machine's PostgreSQL, dropped afterwards."""
    name = f"bench_tracker_{secrets.token_hex(4)}"  # [a-z0-9_] only: safe as an identifier
    _postgres(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Memory(TypedDict):
    pid: int
    processes: int  # the process and its descendants
    rss_mib: float  # resident now, summed over them
    peak_rss_mib: float  # VmHWM, summed: each process's high-water mark


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def memory(pid: int) -> Memory:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(_children(current))
    rss = peak = 0
    for current in pids:
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss += int(fields.get("VmRSS", "0 kB").split()[0])
        peak += int(fields.get("VmHWM", "0 kB").split()[0])
    return Memory(pid=pid, processes=len(pids), rss_mib=round(rss / 1024, 1),
                  peak_rss_mib=round(peak / 1024, 1))


def _post(url: str, body: dict[str, Any], timeout: float = 30) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


def _process(name: str, command: list[str], workdir: Path, env: dict[str, str],
             port: int, ready_path: str = "/") -> Service:
    """One child process with its log (``<name>.log``) in the work directory."""
    return Service(name, command, cwd=ROOT, env=env, log=workdir / f"{name}.log", port=port,
                   ready_path=ready_path, ready=json_status_ok, announce=False)


class ModelLoad(TypedDict):
    start_to_first_answer_s: float  # process start to the first correct REST answer
    start_to_up_line_s: float | None  # to Rasa's "Rasa server is up and running" log line


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Channel blocks in bot/credentials.yml the benchmark needs, and its overlays on them.
SMS_KEY = "connectors.sms.TwilioSmsInput"
VOICE_KEY = "connectors.voice.TwilioVoiceInput"
WEBCHAT_KEY = "connectors.webchat.WebChatInput"
REST_KEY = "connectors.rest.RedactingRestInput"


def _expanded(value: Any, env: dict[str, str]) -> Any:
    """"${VAR}" references resolved as the channels resolve them (unset: empty)."""
    if isinstance(value, dict):
        return {key: _expanded(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_expanded(item, env) for item in value]
    if isinstance(value, str):
        return _ENV_REF.sub(lambda match: env.get(match.group(1), ""), value)
    return value


@dataclass
class RasaServer:
    """The action server and Rasa, launched as deploy/stack.py launches a replica (production
    flags, HTTP API off), configured from bot/endpoints.yml and bot/credentials.yml with this
    run's database, files and secrets."""

    workdir: Path
    tracker: TrackerStore
    model: Path = MODEL
    with_action_server: bool = True
    account: TwilioAccount = field(default_factory=TwilioAccount)
    # The action server's own additions (the case backend's address, identification).
    action_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    rasa: Service | None = None
    actions: Service | None = None
    model_load: ModelLoad | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        account = self.account
        return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "TWILIO_ACCOUNT_SID": account.account_sid,
                "TWILIO_AUTH_TOKEN": account.auth_token,
                "TWILIO_SMS_FROM": "+46700000000",
                "SMS_PUBLIC_BASE_URL": account.public_base_url,
                "VOICE_PUBLIC_BASE_URL": account.public_base_url,
                "SMS_CONVERSATION_SECRET": secrets.token_hex(16),
                "VOICE_CONVERSATION_SECRET": secrets.token_hex(16),
                "WEBCHAT_SESSION_SECRET": secrets.token_hex(16),
                "IDENTITY_VAULT_KEY": Fernet.generate_key().decode(),
                "IDENTITY_VAULT_PATH": str(self.workdir / "identity-vault.db"),
                "IDENTITY_ATTEMPTS_PATH": str(self.workdir / "identity-attempts.db")}

    def _write_files(self, env: dict[str, str], actions_port: int) -> None:
        endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
        endpoints["tracker_store"] = self.tracker.endpoint(endpoints.get("tracker_store") or {})
        endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{actions_port}/webhook"}
        credentials = _expanded(yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text()),
                                env)
        missing = [key for key in (REST_KEY, SMS_KEY, VOICE_KEY, WEBCHAT_KEY)
                   if not isinstance(credentials.get(key), dict)]
        if missing:
            raise RuntimeError(f"bot/credentials.yml has no block for {', '.join(missing)}")
        # Nothing is sent to Twilio: a late SMS answer (or a voice call's SMS) would go to
        # this closed port; the benchmark counts a turn whose TwiML came back empty as failed.
        dead_api = f"http://127.0.0.1:{free_port()}"
        credentials[SMS_KEY].update(store_path=str(self.workdir / "sms.db"),
                                    api_base_url=dead_api)
        credentials[VOICE_KEY].update(store_path=str(self.workdir / "voice.db"),
                                      sms_store_path=str(self.workdir / "sms.db"),
                                      api_base_url=dead_api)
        # The per-session limit protects real users; here it would throttle the load.
        credentials[WEBCHAT_KEY].update(rate_limit={"messages": 10000, "per_seconds": 1},
                                        test_login=False)
        credentials[BASELINE_CHANNEL] = None
        (self.workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        (self.workdir / "credentials.yml").write_text(yaml.safe_dump(credentials))

    def start(self, timeout: float = 300) -> None:
        from deploy.settings import action_server_argv, replica_argv

        if not self.model.exists():
            raise RuntimeError(f"{self.model} is missing: train the model first (make train)")
        actions_port = free_port()
        env = self._env()
        self._write_files(env, actions_port)
        try:
            if self.with_action_server:  # first, so it does not share the CPU with the load
                self.actions = _process("actions",
                                        action_server_argv("127.0.0.1", actions_port),
                                        self.workdir, {**env, **self.action_env}, actions_port,
                                        ready_path="/health")
                self.actions.start()
                self.actions.wait_ready(timeout)
            self.rasa = _process("rasa", replica_argv("127.0.0.1", self.port, self.model,
                                                      self.workdir), self.workdir, env, self.port)
            self.rasa.start()
            self._wait_for_first_answer(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_for_first_answer(self, timeout: float) -> None:
        from benchmarks.harness.questions import QUESTIONS

        assert self.rasa is not None
        deadline = self.rasa.started + timeout
        probe = QUESTIONS[0]
        up_line: float | None = None
        while time.monotonic() < deadline:
            self.rasa.raise_if_exited()
            if up_line is None and UP_LINE in self.rasa.log.read_text(errors="replace"):
                up_line = time.monotonic() - self.rasa.started  # polled: good to 0.2 s
            try:
                answer = _post(f"{self.url}/webhooks/bare_rest/webhook",
                               {"sender": f"probe-{secrets.token_hex(4)}",
                                "message": probe.text})
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                time.sleep(0.2)
                continue
            answered = time.monotonic() - self.rasa.started
            texts = [str(message.get("text", "")) for message in answer]
            if not probe.answered_by(texts):
                raise RuntimeError(f"the model answers {probe.text!r} with {texts!r}")
            self.model_load = ModelLoad(
                start_to_first_answer_s=round(answered, 2),
                start_to_up_line_s=None if up_line is None else round(up_line, 2))
            return
        raise RuntimeError(f"rasa did not answer within {timeout} s; see {self.rasa.log}")

    def memory(self) -> dict[str, Memory]:
        found: dict[str, Memory] = {}
        for name, process in (("rasa", self.rasa), ("action_server", self.actions)):
            if process is not None and process.running and process.pid is not None:
                found[name] = memory(process.pid)
        return found

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process is not None:
                process.stop()


@contextmanager
def running(server: RasaServer) -> Iterator[RasaServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
