"""Starts the embedded default: case backend, agent desk, action server and Rasa; stops them
together.

Used by `make run`. The case backend gets the demo data (idempotent) in var/casebackend.db;
the credentials between the processes and the backend (a token per caller and the assertion key
pair, common/service_credentials.py) are made once and kept in var/service-credentials.json,
each process getting only its own; the secret that signs Rasa's HTTP API tokens in
var/rasa-jwt-secret (RASA_JWT_SECRET overrides it). Ports and interface come from the
environment (RASA_PORT, ACTIONS_PORT, CASEBACKEND_PORT, BIND_HOST); the defaults serve loopback
only. Rasa starts
through scripts/rasa_server.py (API behind JWT, no debug mode), the action server as
`python -m actions.server` (readiness, metrics, JSON logs); docs/operations.md.

Without a Twilio account in the environment (TWILIO_ACCOUNT_SID unset) the SMS and phone
channels run on a local account (var/local-twilio.json, never valid at Twilio) and send
through the local outbox (connectors/local_twilio/, LOCAL_TWILIO_PORT), so `make sms` and
`make call` work at once. When everything answers, the first screen says what runs where.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

from bot.support import SupportConfigError, load_support_line

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python scripts/...` without make's PYTHONPATH
    sys.path.insert(0, str(ROOT))

from common.service_credentials import (  # noqa: E402
    ServiceCredentials,
    without_credentials,
)
from connectors.local_twilio.account import LocalAccount, load_or_create  # noqa: E402

BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"
DESK_PY = ROOT / "agentdesk" / ".venv" / "bin" / "python"
# ASSISTANT_VAR_DIR moves every file `make run` keeps (secrets, SQLite files, the local Twilio
# account) elsewhere, e.g. for a second instance beside the first; default var/.
VAR = Path(os.environ.get("ASSISTANT_VAR_DIR") or ROOT / "var").resolve()
CREDENTIALS_FILE = VAR / "service-credentials.json"
VAULT_KEY_FILE = VAR / "vault-key"
JWT_SECRET_FILE = VAR / "rasa-jwt-secret"
LOCAL_TWILIO_FILE = VAR / "local-twilio.json"
DESK_PASSWORD_FILE = VAR / "agentdesk-demo-password"
DESK_DATA_KEY_FILE = VAR / "agentdesk-data-key"
DESK_ACCOUNTS = ("agent1", "agent2", "supervisor1")


def _secret(variable: str, path: Path, make: Callable[[], str]) -> str:
    """The configured secret, or one made for this machine on first start (kept in var/)."""
    configured = os.environ.get(variable)
    if configured:
        return configured
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def service_credentials() -> ServiceCredentials:
    """Those made for this machine on first start (var/), each overridden by its variable."""
    if not CREDENTIALS_FILE.exists():
        CREDENTIALS_FILE.write_text(json.dumps(asdict(ServiceCredentials.generate()), indent=2))
        CREDENTIALS_FILE.chmod(0o600)
    stored = ServiceCredentials(**json.loads(CREDENTIALS_FILE.read_text()))
    if not (stored.desk_assistant_token and stored.desk_delivery_token):
        # A file from before the agent desk: keep its credentials, add the desk's tokens.
        stored = ServiceCredentials.from_env({**stored.backend_env(),
                                              **stored.action_server_env()})
        CREDENTIALS_FILE.write_text(json.dumps(asdict(stored), indent=2))
    return ServiceCredentials.from_env({**stored.backend_env(), **stored.action_server_env(),
                                        **stored.desk_env(), **os.environ})


def vault_key() -> str:
    return _secret("IDENTITY_VAULT_KEY", VAULT_KEY_FILE,
                   lambda: Fernet.generate_key().decode())


def rasa_jwt_secret() -> str:
    return _secret("RASA_JWT_SECRET", JWT_SECRET_FILE, lambda: secrets.token_hex(32))


def endpoints_file(actions_port: str) -> str:
    """bot/endpoints.yml, or a copy in the var directory for another ACTIONS_PORT or
    ASSISTANT_VAR_DIR."""
    if actions_port == "5055" and VAR == ROOT / "var":
        return "bot/endpoints.yml"
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(VAR / Path(endpoints["tracker_store"]["db"]).name)
    path = VAR / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return str(path)


# Ctrl-C reaches only this process, which stops the services once each, in order (a second
# signal from the terminal made Sanic's shutdown fail with a traceback).
OWN_GROUP: dict[str, Any] = {"start_new_session": True}

STORE_KEYS = ("store_path", "sms_store_path")


def credentials_file() -> str:
    """bot/credentials.yml, or a copy with the channels' SQLite files in ASSISTANT_VAR_DIR."""
    if VAR == ROOT / "var":
        return "bot/credentials.yml"
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    for block in credentials.values():
        for key in STORE_KEYS:
            if isinstance(block, dict) and key in block:
                block[key] = str(VAR / Path(str(block[key])).name)
    path = VAR / "credentials.yml"
    path.write_text(yaml.dump(credentials, Dumper=_QuotingDumper, sort_keys=False))
    return str(path)


class _QuotingDumper(yaml.SafeDumper):
    """Keeps "${NAME}" quoted: Rasa expands plain ${...} itself and stops when one is unset;
    quoted, they reach the channels, which treat unset as "not configured"."""


def _quoted_references(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style='"' if "${" in value else None)


_QuotingDumper.add_representer(str, _quoted_references)


def state_environment() -> dict[str, str]:
    """Where the action server and the case backend keep their files, when not in var/."""
    if VAR == ROOT / "var":
        return {}
    defaults = {"IDENTITY_VAULT_PATH": str(VAR / "identity-vault.db"),
                "IDENTITY_ATTEMPTS_PATH": str(VAR / "identity-attempts.db"),
                "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{VAR / 'casebackend.db'}"}
    return {name: os.environ.get(name) or value for name, value in defaults.items()}


def local_twilio(rasa_port: str, outbox_port: str) -> LocalAccount | None:
    """The local Twilio account, unless a real one is configured."""
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        # `make sms` / `make call` must not sign for a local account nobody is running.
        LOCAL_TWILIO_FILE.unlink(missing_ok=True)
        return None
    return load_or_create(LOCAL_TWILIO_FILE, f"http://127.0.0.1:{rasa_port}",
                          f"http://127.0.0.1:{outbox_port}")


def _answers(url: str, wanted: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return wanted in response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def desk_environment(env: dict[str, str], credentials: ServiceCredentials, desk_port: str,
                     rasa_port: str) -> dict[str, str]:
    """The agent desk's own environment: its venv, none of this tree's modules on its path."""
    return {**{key: value for key, value in env.items() if key != "PYTHONPATH"},
            **credentials.desk_env(),
            "AGENTDESK_HOST": "127.0.0.1", "AGENTDESK_PORT": desk_port,
            "AGENTDESK_ASSISTANT_URL": f"http://127.0.0.1:{rasa_port}",
            "AGENTDESK_DATABASE_URL": os.environ.get("AGENTDESK_DATABASE_URL")
            or f"sqlite+aiosqlite:///{VAR / 'agentdesk.db'}",
            "AGENTDESK_DEMO_PASSWORD": desk_demo_password(),
            "AGENTDESK_DATA_KEY": _secret("AGENTDESK_DATA_KEY", DESK_DATA_KEY_FILE,
                                          lambda: secrets.token_urlsafe(32))}


def desk_demo_password() -> str:
    return _secret("AGENTDESK_DEMO_PASSWORD", DESK_PASSWORD_FILE,
                   lambda: secrets.token_urlsafe(12))


def first_screen(host: str, ports: dict[str, str], account: LocalAccount | None) -> str:
    web = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{ports['rasa']}"
    lines = [
        "",
        "The Mina sidor assistant is running (Ctrl-C stops it).",
        f"  Rasa             {web}  (REST: POST /webhooks/rest/webhook)",
        f"  action server    http://127.0.0.1:{ports['actions']}",
        f"  case backend     http://127.0.0.1:{ports['backend']}  (demo persons loaded)",
        f"  agent desk       http://127.0.0.1:{ports['desk']}/  (staff: "
        f"{', '.join(DESK_ACCOUNTS)}; password {desk_demo_password()})",
    ]
    if account is not None:
        lines.append(f"  local Twilio     {account.outbox_url}  (outbox for the SMS sent; "
                     "a local account, never valid at Twilio)")
    else:
        lines.append("  Twilio           the account in TWILIO_ACCOUNT_SID")
    lines += [
        "",
        "Try it (in a second terminal):",
        "  make chat        type questions, e.g. \"kan jag skicka bilagor digitalt?\"",
        f"  web chat         {web}/webhooks/webchat/demo/  (?lang=en for English)",
    ]
    if account is not None:
        lines += [
            "  make sms         SMS as Twilio delivers them: \"när kommer mina pengar?\", "
            "then 19121212-1212",
            "  make call        a phone call: keys 2, then 191212121212#; or say something",
            f"  phone page       {account.outbox_url}/phone/",
        ]
    lines += ["",
              "Demo persons: README.md, \"A tour\". Logs below: warnings and errors "
              "(LOG_LEVEL=INFO for every request, LOG_FORMAT=text for plain lines).", ""]
    return "\n".join(lines)


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
    outbox_port = os.environ.get("LOCAL_TWILIO_PORT", "5060")
    desk_port = os.environ.get("AGENTDESK_PORT", "5070")
    VAR.mkdir(parents=True, exist_ok=True)
    account = local_twilio(rasa_port, outbox_port)
    credentials = service_credentials()
    env = {**without_credentials(os.environ),
           "IDENTITY_VAULT_KEY": vault_key(),
           "WEBCHAT_SESSION_SECRET": _secret("WEBCHAT_SESSION_SECRET",
                                             VAR / "webchat-secret",
                                             lambda: secrets.token_urlsafe(32)),
           "CASEBACKEND_URL": f"http://127.0.0.1:{backend_port}",
           "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": backend_port,
           "AGENTDESK_URL": f"http://127.0.0.1:{desk_port}",
           "TZ": os.environ.get("TZ", "Europe/Stockholm"),
           # A readable first screen: warnings and errors; LOG_LEVEL=INFO shows every request.
           "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
           **state_environment(),
           **(account.environment() if account is not None else {})}
    # The case backend has its own environment: none of this tree's modules on its path.
    backend_env = {**{key: value for key, value in env.items() if key != "PYTHONPATH"},
                   **credentials.backend_env()}
    # Migrate, then load the demo persons (idempotent; dates relative to today). Their
    # chatter is shown only when a step fails; warnings always.
    desk_env = desk_environment(env, credentials, desk_port, rasa_port)
    steps = ((BACKEND_PY, "casebackend", backend_env, ["-m", "alembic", "upgrade", "head"]),
             (BACKEND_PY, "casebackend", backend_env, ["-m", "casebackend.demo"]),
             (DESK_PY, "agentdesk", desk_env, ["-m", "alembic", "upgrade", "head"]))
    for python, folder, step_env, step in steps:
        done = subprocess.run([str(python), *step], cwd=ROOT / folder,
                              env=step_env, capture_output=True, text=True)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            print(output, file=sys.stderr)
            return done.returncode
        for line in output.splitlines():
            if line.startswith(("WARNING", "ERROR")):
                print(line, flush=True)
    processes = [
        subprocess.Popen([str(BACKEND_PY), "-m", "casebackend"], cwd=ROOT / "casebackend",
                         env=backend_env, **OWN_GROUP),
        subprocess.Popen([str(DESK_PY), "-m", "agentdesk"], cwd=ROOT / "agentdesk",
                         env=desk_env, **OWN_GROUP),
        subprocess.Popen([sys.executable, "-m", "actions.server", "--host", "127.0.0.1",
                          "--port", actions_port], cwd=ROOT,
                         env={**env, **credentials.action_server_env()}, **OWN_GROUP),
        subprocess.Popen([sys.executable, "scripts/rasa_server.py", "--api", "--model",
                          "models/current.tar.gz", "--endpoints", endpoints_file(actions_port),
                          "--credentials", credentials_file(), "--interface", host,
                          "--port", rasa_port], cwd=ROOT,
                         env={**env, **credentials.rasa_env(),
                              "RASA_JWT_SECRET": rasa_jwt_secret()}, **OWN_GROUP),
    ]
    if account is not None:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "connectors.local_twilio.outbox", "--account",
             str(LOCAL_TWILIO_FILE), "--rasa-url", f"http://127.0.0.1:{rasa_port}",
             "--port", outbox_port], cwd=ROOT, env=env, **OWN_GROUP))

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready = {f"http://127.0.0.1:{rasa_port}/ready": "ready",
             f"http://127.0.0.1:{actions_port}/ready": "ready",
             f"http://127.0.0.1:{backend_port}/health": "ok",
             f"http://127.0.0.1:{desk_port}/health": "ok"}
    if account is not None:
        ready[f"{account.outbox_url}/health"] = "ok"
    announced = False
    try:
        while all(process.poll() is None for process in processes):
            if not announced and all(_answers(url, word) for url, word in ready.items()):
                print(first_screen(host, {"rasa": rasa_port, "actions": actions_port,
                                          "backend": backend_port, "desk": desk_port},
                                   account), flush=True)
                announced = True
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    return max(process.returncode or 0 for process in processes)


if __name__ == "__main__":
    sys.exit(main())
