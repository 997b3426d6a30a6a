"""What the scaled-out stack (deploy/stack.py) is made of: where things are, the defaults, how
the action servers and the Rasa replicas are launched, the secrets the processes share and the
stack's settings."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from common.service_credentials import ServiceCredentials
from deploy.balancer import LOOPBACK

ROOT = Path(__file__).resolve().parent.parent
BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "current.tar.gz"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mina_scaleout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Readiness: connectors.ops answers /ready once the model is loaded and the stores answer.
OPS_CHANNEL = "connectors.ops.OpsInput"
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
