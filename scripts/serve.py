"""Starts the embedded default: case backend, action server and Rasa; stops them together.

Used by `make run`. The case backend gets the demo data (idempotent) in var/casebackend.db;
the service token shared by backend and action server is made once and kept in
var/service-token, the secret that signs Rasa's HTTP API tokens in var/rasa-jwt-secret
(RASA_JWT_SECRET overrides it). Ports and interface come from the environment (RASA_PORT,
ACTIONS_PORT, CASEBACKEND_PORT, BIND_HOST); the defaults serve loopback only. Rasa starts
through scripts/rasa_server.py (API behind JWT, no debug mode), the action server as
`python -m actions.server` (readiness, metrics, JSON logs); docs/operations.md.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from bot.support import SupportConfigError, load_support_line

ROOT = Path(__file__).resolve().parent.parent
BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"
TOKEN_FILE = ROOT / "var" / "service-token"
VAULT_KEY_FILE = ROOT / "var" / "vault-key"
JWT_SECRET_FILE = ROOT / "var" / "rasa-jwt-secret"


def _secret(variable: str, path: Path, make: Callable[[], str]) -> str:
    """The configured secret, or one made for this machine on first start (kept in var/)."""
    configured = os.environ.get(variable)
    if configured:
        return configured
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def service_token() -> str:
    return _secret("CASEBACKEND_SERVICE_TOKEN", TOKEN_FILE, lambda: secrets.token_urlsafe(32))


def vault_key() -> str:
    return _secret("IDENTITY_VAULT_KEY", VAULT_KEY_FILE,
                   lambda: Fernet.generate_key().decode())


def rasa_jwt_secret() -> str:
    return _secret("RASA_JWT_SECRET", JWT_SECRET_FILE, lambda: secrets.token_urlsafe(48))


def main() -> int:
    # A malformed SUPPORT_HOURS / SUPPORT_HOLIDAYS stops the start here, before any process.
    try:
        load_support_line()
    except SupportConfigError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    host = os.environ.get("BIND_HOST", "127.0.0.1")
    rasa_port = os.environ.get("RASA_PORT", "5005")
    actions_port = os.environ.get("ACTIONS_PORT", "5055")
    backend_port = os.environ.get("CASEBACKEND_PORT", "8100")
    (ROOT / "var").mkdir(exist_ok=True)
    env = {**os.environ, "CASEBACKEND_SERVICE_TOKEN": service_token(),
           "IDENTITY_VAULT_KEY": vault_key(),
           "WEBCHAT_SESSION_SECRET": _secret("WEBCHAT_SESSION_SECRET",
                                             ROOT / "var" / "webchat-secret",
                                             lambda: secrets.token_urlsafe(32)),
           "CASEBACKEND_URL": f"http://127.0.0.1:{backend_port}",
           "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": backend_port,
           "TZ": os.environ.get("TZ", "Europe/Stockholm")}
    # Migrate, then load the demo persons (idempotent; dates relative to today).
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "casebackend.demo"]):
        subprocess.run([str(BACKEND_PY), *step], cwd=ROOT / "casebackend", env=env, check=True)
    processes = [
        subprocess.Popen([str(BACKEND_PY), "-m", "casebackend"], cwd=ROOT / "casebackend",
                         env=env),
        subprocess.Popen([sys.executable, "-m", "actions.server", "--host", "127.0.0.1",
                          "--port", actions_port], cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, "scripts/rasa_server.py", "--model",
                          "models/current.tar.gz", "--endpoints", "bot/endpoints.yml",
                          "--credentials", "bot/credentials.yml", "--interface", host,
                          "--port", rasa_port], cwd=ROOT,
                         env={**env, "RASA_JWT_SECRET": rasa_jwt_secret()}),
    ]

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Rasa on http://{host}:{rasa_port}, actions on :{actions_port}, "
          f"case backend on :{backend_port}; Ctrl-C stops all.", flush=True)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    return max(process.returncode or 0 for process in processes)


if __name__ == "__main__":
    sys.exit(main())
