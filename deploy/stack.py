"""The assistant scaled out on one machine: N Rasa replicas, N action servers and N case backends
on loopback, one PostgreSQL database and one Redis, behind nginx.

    .venv/bin/python -m deploy.stack [--replicas 2] [--database-url URL] [--redis-url URL]

runs in the foreground until Ctrl-C and prints the addresses. The tests (tests/scaleout) use
``ScaleOutStack`` directly and kill, stop and restart its parts.

Layout (every arrow goes through nginx, which balances each tier and fails over passively):

    clients ─► nginx :assistant ─► Rasa replicas ─► nginx :actions ─► action servers
                                        │                                  │
                       PostgreSQL (tracker store)        nginx :backends ─► case backends
                       Redis (lock store, shared state)                     │
                                                                   PostgreSQL (own schema)

Each Rasa replica calls the action servers through the balancer rather than a fixed partner:
the action servers keep no state, so any replica may use any of them, and a dead action
server then costs a refused connection that nginx passes on (an action call that never
reached a server is safe to send to another), not every turn of one replica.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

from common.service_credentials import ServiceCredentials, without_credentials
from deploy.balancer import LOOPBACK, BalancerLayout, render_config
from deploy.processes import Service, ServiceError, answers_ok, free_port, json_status_ok
from deploy.targets import CASEBACKEND_SCHEMA, PostgresTarget, RedisTarget

ROOT = Path(__file__).resolve().parent.parent
BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "current.tar.gz"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mina_scaleout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Readiness: connectors.ops answers /ready once the model is loaded and the stores answer.
OPS_CHANNEL = "connectors.ops.OpsInput"
# Channel settings that name files: each stack keeps its own (the replicas share them).
_PATH_KEYS = ("store_path", "sms_store_path")
# Rasa's own `type: redis` lock store is not safe across replicas (see bot/lock_store.py).
LOCK_STORE = "bot.lock_store.SharedTicketLockStore"
_DATABASE_KEYS = ("type", "dialect", "url", "host", "port", "db", "username", "password",
                  "login_db", "query")
# nginx must not run as root; it runs as this user when the launcher is root.
NGINX_USER = "nobody"


def action_server_argv(host: str, port: int) -> list[str]:
    """The action server as it runs in production (readiness, metrics, JSON logs)."""
    return [sys.executable, "-m", "actions.server", "--host", host, "--port", str(port)]


def replica_argv(host: str, port: int, model: Path, workdir: Path) -> list[str]:
    """`rasa run` with the production flags (scripts/rasa_server.py); the HTTP API is off:
    the replicas are reached only through their channels."""
    return [sys.executable, str(ROOT / "scripts" / "rasa_server.py"), "--no-api",
            "--model", str(model), "--endpoints", str(workdir / "endpoints.yml"),
            "--credentials", str(workdir / "credentials.yml"),
            "--interface", host, "--port", str(port)]


@dataclass(frozen=True)
class Secrets:
    """Shared by the processes of the stack: from the environment, else made for this run. The
    case backend's credentials are per caller (common/service_credentials.py)."""

    credentials: ServiceCredentials
    vault_key: str
    webchat_secret: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        environ = os.environ if environ is None else environ
        return cls(
            credentials=ServiceCredentials.from_env(environ),
            vault_key=environ.get("IDENTITY_VAULT_KEY") or Fernet.generate_key().decode(),
            webchat_secret=environ.get("WEBCHAT_SESSION_SECRET") or secrets.token_urlsafe(32))

    def env(self) -> dict[str, str]:
        return {"IDENTITY_VAULT_KEY": self.vault_key,
                "WEBCHAT_SESSION_SECRET": self.webchat_secret}


@dataclass(frozen=True)
class StackSettings:
    replicas: int = 2
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    action_servers: int | None = None  # None: as many as replicas
    backends: int | None = None  # None: as many as replicas
    model: Path = MODEL
    host: str = LOOPBACK
    port: int | None = None  # the assistant's address on nginx; None: a free port
    workdir: Path | None = None  # None: a temporary directory, removed by stop()
    # Key names in Redis (the shared state, and with it the conversation locks).
    redis_prefix: str = "mina:"
    # Per channel (credentials.yml key), settings laid over bot/credentials.yml.
    credentials: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Extra environment for the Rasa replicas and action servers.
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Secrets | None = None
    drop_database: bool = False  # stop() drops the database (tests)
    ready_timeout: float = 300.0


class _QuotingDumper(yaml.SafeDumper):
    """Quotes "${VAR}" values: Rasa expands only unquoted ones, and the channels read these
    themselves (unset: the channel is off)."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.nodes.ScalarNode:
    style = '"' if "${" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_QuotingDumper.add_representer(str, _represent_text)


def _deep_update(base: dict[str, Any], overrides: Mapping[str, Mapping[str, Any]]) -> None:
    for key, block in overrides.items():
        current = base.get(key)
        base[key] = {**(current if isinstance(current, dict) else {}), **block}


class ScaleOutStack:
    def __init__(self, settings: StackSettings) -> None:
        if settings.replicas < 1:
            raise ValueError("at least one replica")
        self.settings = settings
        self.database = PostgresTarget.from_url(settings.database_url)
        self.redis = RedisTarget.from_url(settings.redis_url)
        self.secrets = settings.secrets or Secrets.from_env()
        self._own_workdir = settings.workdir is None
        self.workdir = (settings.workdir or Path(tempfile.mkdtemp(prefix="mina-scaleout-")))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs = self.workdir / "logs"
        host = settings.host
        self.layout = BalancerLayout(
            host=host, assistant_port=settings.port or free_port(host),
            actions_port=free_port(host), backends_port=free_port(host),
            replicas=tuple(free_port(host) for _ in range(settings.replicas)),
            action_servers=tuple(free_port(host) for _ in range(
                settings.action_servers or settings.replicas)),
            backends=tuple(free_port(host) for _ in range(
                settings.backends or settings.replicas)))
        self.url = f"http://{host}:{self.layout.assistant_port}"
        self.actions_url = f"http://{host}:{self.layout.actions_port}"
        self.backend_url = f"http://{host}:{self.layout.backends_port}"
        self.nginx_prefix = Path(tempfile.mkdtemp(prefix="mina-nginx-"))
        self.backends = [self._backend(i, port) for i, port in enumerate(self.layout.backends)]
        self.action_servers = [self._action_server(i, port)
                               for i, port in enumerate(self.layout.action_servers)]
        self.replicas = [self._replica(i, port) for i, port in enumerate(self.layout.replicas)]
        self.nginx = self._nginx()
        self._database_created = False

    # ---- the processes ----

    def _backend_env(self, port: int | None = None) -> dict[str, str]:
        env = {**without_credentials(os.environ), **self.secrets.env(),
               **self.secrets.credentials.backend_env(),
               "CASEBACKEND_DATABASE_URL": self.database.asyncpg_url(),
               "CASEBACKEND_DATABASE_SCHEMA": CASEBACKEND_SCHEMA,
               "CASEBACKEND_HOST": self.settings.host,
               # A replica directly: the balancer's public address does not forward /notices.
               "CASEBACKEND_ASSISTANT_URL": f"http://{self.settings.host}:"
                                            f"{self.layout.replicas[0]}",
               "TZ": os.environ.get("TZ", "Europe/Stockholm")}
        if port is not None:
            env["CASEBACKEND_PORT"] = str(port)
        return env

    def _assistant_env(self) -> dict[str, str]:
        return {**without_credentials(os.environ), **self.secrets.env(),
                **self.secrets.credentials.assistant_env(),
                "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                "RASA_TELEMETRY_ENABLED": "false",
                "TZ": os.environ.get("TZ", "Europe/Stockholm"),
                "CASEBACKEND_URL": self.backend_url,
                "ASSISTANT_REDIS_URL": self.redis.url,
                "ASSISTANT_REDIS_PREFIX": self.settings.redis_prefix,
                # Used only while a store is still a file (the embedded kind).
                "IDENTITY_VAULT_PATH": str(self.workdir / "identity-vault.db"),
                "IDENTITY_ATTEMPTS_PATH": str(self.workdir / "identity-attempts.db"),
                **self.settings.env}

    def _backend(self, index: int, port: int) -> Service:
        return Service(f"case backend {index + 1}", [str(BACKEND_PY), "-m", "casebackend"],
                       cwd=ROOT / "casebackend", env=self._backend_env(port),
                       log=self.logs / f"backend-{index + 1}.log", port=port,
                       ready_path="/health", ready=json_status_ok, host=self.settings.host)

    def _action_server(self, index: int, port: int) -> Service:
        return Service(f"action server {index + 1}",
                       action_server_argv(self.settings.host, port), cwd=ROOT,
                       env=self._assistant_env(), log=self.logs / f"actions-{index + 1}.log",
                       port=port, ready_path="/ready", host=self.settings.host)

    def _replica(self, index: int, port: int) -> Service:
        argv = replica_argv(self.settings.host, port, self.settings.model, self.workdir)
        # Without the ops channel, the REST channel's health (up once the model is loaded).
        ready_path = "/ready" if OPS_CHANNEL in self.credentials() else "/webhooks/rest/"
        return Service(f"rasa replica {index + 1}", argv, cwd=ROOT, env=self._assistant_env(),
                       log=self.logs / f"rasa-{index + 1}.log", port=port,
                       ready_path=ready_path, ready=json_status_ok if ready_path.startswith(
                           "/webhooks") else answers_ok, host=self.settings.host)

    def _nginx(self) -> Service:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        prefix = self.nginx_prefix
        argv = [binary, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"),
                "-e", str(prefix / "logs" / "error.log"),
                "-g", f"daemon off; pid {prefix / 'nginx.pid'};"]
        user = NGINX_USER if os.geteuid() == 0 else None
        return Service("nginx", argv, cwd=prefix, env=dict(os.environ),
                       log=self.logs / "nginx.log", port=self.layout.assistant_port,
                       ready=lambda status, _: status > 0, user=user,
                       host=self.settings.host)

    # ---- configuration ----

    def endpoints(self) -> dict[str, Any]:
        endpoints: dict[str, Any] = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
        endpoints["action_endpoint"] = {"url": f"{self.actions_url}/webhook"}
        # The tracker store class and its options as configured (e.g. the bounded store),
        # on this stack's database.
        configured = endpoints.get("tracker_store") or {}
        block = self.database.tracker_store()
        if str(configured.get("type", "SQL")).lower() != "sql":
            block.update({key: value for key, value in configured.items()
                          if key not in _DATABASE_KEYS}, type=configured["type"])
        endpoints["tracker_store"] = block
        endpoints["lock_store"] = {"type": LOCK_STORE}
        return endpoints

    def credentials(self) -> dict[str, Any]:
        credentials: dict[str, Any] = yaml.safe_load(
            (ROOT / "bot" / "credentials.yml").read_text())
        for block in credentials.values():
            for key in _PATH_KEYS:
                if isinstance(block, dict) and key in block:
                    block[key] = str(self.workdir / Path(str(block[key])).name)
        _deep_update(credentials, self.settings.credentials)
        return credentials

    def _write_configuration(self) -> None:
        (self.workdir / "endpoints.yml").write_text(yaml.safe_dump(self.endpoints()))
        (self.workdir / "credentials.yml").write_text(
            yaml.dump(self.credentials(), Dumper=_QuotingDumper))
        prefix = self.nginx_prefix
        for folder in ("logs", "temp"):
            (prefix / folder).mkdir(exist_ok=True)
        (prefix / "nginx.conf").write_text(render_config(self.layout))
        if os.geteuid() == 0:
            nobody = pwd.getpwnam(NGINX_USER)
            for path in (prefix, prefix / "logs", prefix / "temp"):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        prefix.chmod(0o755)

    def _prepare_backend_database(self) -> None:
        self._database_created = self.database.prepare()
        env = self._backend_env()
        for step in (["-m", "alembic", "upgrade", "head"], ["-m", "casebackend.demo"]):
            done = subprocess.run([str(BACKEND_PY), *step], cwd=ROOT / "casebackend", env=env,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise ServiceError(f"case backend {' '.join(step[1:])} failed:\n"
                                   f"{done.stdout[-2000:]}{done.stderr[-2000:]}")

    # ---- running ----

    def start(self) -> ScaleOutStack:
        if not self.settings.model.exists():
            raise ServiceError(f"{self.settings.model} is missing: run `make train` first")
        try:
            self._prepare_backend_database()
            self._write_configuration()
            for service in [*self.backends, *self.action_servers, *self.replicas]:
                service.start()
            self.ready()
            # nginx last: a request it passed on before the servers listened would mark them
            # failed, and it then lets through one request per fail_timeout to each.
            self.nginx.start()
            self.nginx.wait_ready(self.settings.ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def ready(self, timeout: float | None = None) -> None:
        """Waits until every running part answers its readiness check."""
        limit = self.settings.ready_timeout if timeout is None else timeout
        for service in self.services:
            if service.process is not None:
                service.wait_ready(limit)

    @property
    def services(self) -> list[Service]:
        return [*self.backends, *self.action_servers, self.nginx, *self.replicas]

    def kill_replica(self, index: int, sig: int = signal.SIGKILL) -> None:
        self.replicas[index].kill(sig)

    def start_replica(self, index: int, wait: bool = True) -> float:
        """Starts a stopped replica again; seconds until it was ready (0 if not waited)."""
        replica = self.replicas[index]
        replica.start()
        return replica.wait_ready(self.settings.ready_timeout) if wait else 0.0

    def stop_backends(self) -> None:
        for backend in self.backends:
            backend.stop()

    def start_backends(self) -> None:
        for backend in self.backends:
            backend.start()
        for backend in self.backends:
            backend.wait_ready(60)

    def stop(self) -> None:
        # Entrances first: nothing new arrives while the replicas finish their turns.
        for service in [self.nginx, *self.replicas, *self.action_servers, *self.backends]:
            try:
                service.stop()
            except Exception as error:  # go on: stop everything else
                print(f"stopping {service.name}: {error}", file=sys.stderr)
        # nginx's logs live in its prefix (readable by its user); keep them with the others.
        for log in ("access.log", "error.log"):
            with contextlib.suppress(OSError):
                shutil.copy(self.nginx_prefix / "logs" / log, self.logs / f"nginx-{log}")
        shutil.rmtree(self.nginx_prefix, ignore_errors=True)
        if self.settings.drop_database:
            self.database.drop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ScaleOutStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def describe(self) -> str:
        lines = [f"assistant (nginx):  {self.url}  (REST {self.url}/webhooks/rest/webhook, "
                 f"web chat {self.url}/webhooks/webchat/demo/)",
                 f"action servers:     {self.actions_url} -> "
                 + ", ".join(s.url for s in self.action_servers),
                 f"case backends:      {self.backend_url} -> "
                 + ", ".join(s.url for s in self.backends),
                 "rasa replicas:      " + ", ".join(s.url for s in self.replicas),
                 f"tracker store:      PostgreSQL {self.database.host}:{self.database.port}/"
                 f"{self.database.database}",
                 f"lock store, state:  Redis {self.redis.host}:{self.redis.port}/"
                 f"{self.redis.db}",
                 f"logs:               {self.logs} (nginx: {self.nginx_prefix / 'logs'})"]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2,
                        help="Rasa replicas, and as many action servers and case backends")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database (made if missing): tracker store and case "
                             "backend (schema casebackend)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                        help="Redis: lock store and the replicas' shared state")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SCALEOUT_PORT", 8080)),
                        help="the assistant's port on nginx (loopback)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "scale-out",
                        help="generated configuration, logs and the channels' files")
    args = parser.parse_args(argv)
    stack = ScaleOutStack(StackSettings(replicas=args.replicas, database_url=args.database_url,
                                        redis_url=args.redis_url, port=args.port,
                                        workdir=args.workdir))
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"starting {args.replicas} replicas (each loads the model)...",
          flush=True)
    started = time.monotonic()
    try:
        stack.start()
    except ServiceError as error:
        print(f"scale-out: {error}", file=sys.stderr)
        return 1
    print(f"ready in {time.monotonic() - started:.0f} s\n{stack.describe()}\nCtrl-C stops all.",
          flush=True)
    reported: set[str] = set()
    try:
        while not stopping:
            for service in stack.services:
                if not service.running and service.name not in reported:
                    reported.add(service.name)
                    print(f"warning: {service.name} exited; see {service.log}", flush=True)
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
