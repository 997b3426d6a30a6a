"""The assistant scaled out on one machine: N Rasa replicas, N action servers and N case backends
on loopback, one PostgreSQL database and one Redis, behind nginx.

    .venv/bin/python -m deploy.stack [--replicas 2] [--database-url URL] [--redis-url URL]

runs in the foreground until Ctrl-C and prints the addresses. The tests (tests/scaleout) use
``ScaleOutStack`` directly and kill, stop and restart its parts. Its settings and launch
commands are in deploy/settings.py, the files it writes in deploy/configuration.py.

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
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common.service_credentials import without_credentials
from deploy.balancer import BalancerLayout
from deploy.case_backend import case_backend_service, prepare_demo_database
from deploy.configuration import (
    rasa_credentials,
    rasa_endpoints,
    write_nginx_prefix,
    write_rasa_configuration,
)
from deploy.processes import Service, ServiceError, answers_ok, free_port, json_status_ok
from deploy.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    NGINX_USER,
    OPS_CHANNEL,
    ROOT,
    Secrets,
    StackSettings,
    action_server_argv,
    replica_argv,
)
from deploy.targets import CASEBACKEND_SCHEMA, PostgresTarget, RedisTarget


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
        return case_backend_service(self._backend_env(port),
                                    self.logs / f"backend-{index + 1}.log", port,
                                    name=f"case backend {index + 1}", host=self.settings.host)

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
        return rasa_endpoints(self.actions_url, self.database)

    def credentials(self) -> dict[str, Any]:
        return rasa_credentials(self.workdir, self.settings.credentials)

    def _write_configuration(self) -> None:
        write_rasa_configuration(self.workdir, self.endpoints(), self.credentials())
        write_nginx_prefix(self.nginx_prefix, self.layout)

    def _prepare_backend_database(self) -> None:
        self._database_created = self.database.prepare()
        prepare_demo_database(self._backend_env())

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
