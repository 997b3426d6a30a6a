"""The whole stack for the conversation player, on free loopback ports: the case backend
with the demo persons, the action server (BankID simulator, short waits), and `rasa run`
with every channel the corpus is played on: REST, SMS and phone (signed as Twilio signs, a
fake Twilio REST API on loopback) and the web chat with its test login.

Waits are short so that the corpus plays in minutes: the simulator confirms after 0.2 s, a
turn waits 2 s for BankID, and an identification is forgotten after ``IDLE_SECONDS`` of
silence (one conversation waits past it).

The support line's configuration is the stack's (``SUPPORT_HOURS``/``SUPPORT_HOLIDAYS`` are
read when the processes start), so each support mode of the corpus has its own stack, started
side by side (``running_stacks``): "unset" is the embedded default, "closed" has the hours
configured and today and tomorrow (Swedish time) as closed days, so that the line is closed
whenever the run starts and even if it passes midnight.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from cryptography.fernet import Fernet

from common.service_credentials import ServiceCredentials, without_credentials
from tests.e2e.sms_harness import SmsTestSetup
from tests.e2e.voice_harness import VoiceTestSetup
from tests.ports import free_port
from tests.stack.assistant import (
    MODEL,
    ROOT,
    AssistantProcesses,
    Backend,
    action_server,
    rasa,
    rasa_endpoints,
    write_yaml,
)
from tests.web.stack import webchat_credentials

IDLE_SECONDS = 10.0
WEBCHAT_KEY = "connectors.webchat.WebChatInput"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CLOSED_HOURS = "mon-fri 08:00-16:00"


def support_env(mode: str, now: dt.datetime | None = None) -> dict[str, str]:
    """The support line's environment for a support mode of the corpus."""
    if mode == "unset":
        return {"SUPPORT_HOURS": "", "SUPPORT_HOLIDAYS": ""}
    if mode == "closed":
        today = (now or dt.datetime.now(STOCKHOLM)).astimezone(STOCKHOLM).date()
        days = (today, today + dt.timedelta(days=1))
        return {"SUPPORT_HOURS": CLOSED_HOURS,
                "SUPPORT_HOLIDAYS": ",".join(day.isoformat() for day in days)}
    raise ValueError(f"unknown support mode {mode!r}")


@dataclass
class Stack:
    base_url: str
    workdir: Path
    backend: Backend
    sms: SmsTestSetup
    voice: VoiceTestSetup
    jwt_secret: str
    logs: list[Path] = field(default_factory=list)
    support: str = "unset"

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"


def _credentials(sms: SmsTestSetup, voice: VoiceTestSetup) -> dict[str, object]:
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    credentials.update(sms.credentials())
    credentials.update(voice.credentials())
    web = webchat_credentials()
    # Many conversations from one test client: no rate limit in the way.
    web["rate_limit"] = {"messages": 1000, "per_seconds": 60}
    credentials[WEBCHAT_KEY] = web
    return dict(credentials)


@contextmanager
def running_stack(workdir: Path, support: str = "unset") -> Iterator[Stack]:
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    rasa_port, actions_port, backend_port = free_port(), free_port(), free_port()
    service_credentials = ServiceCredentials.generate()
    jwt_secret = "corpus-jwt-" + os.urandom(24).hex()
    backend_env = {**without_credentials(os.environ), **service_credentials.backend_env(),
                   # This tree's case backend, whichever tree its venv was installed from.
                   "PYTHONPATH": str(ROOT / "casebackend" / "src"),
                   "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cb.db'}",
                   "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": str(backend_port),
                   "TZ": "Europe/Stockholm"}
    backend = Backend(f"http://127.0.0.1:{backend_port}", service_credentials, backend_env,
                      workdir / "backend.log")
    backend.start()
    write_yaml(workdir / "endpoints.yml", rasa_endpoints(actions_port, workdir / "tracker.db"))
    sms = SmsTestSetup(workdir / "sms.db").start()
    voice = VoiceTestSetup(workdir / "voice.db", sms)
    write_yaml(workdir / "credentials.yml", _credentials(sms, voice))
    env = {**without_credentials(os.environ), **service_credentials.assistant_env(),
           "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CASEBACKEND_URL": backend.url,
           "CASEBACKEND_BREAKER_RESET_SECONDS": "1",
           "TZ": "Europe/Stockholm",
           # The web chat's test login mints tokens; the action server trusts its session.
           "ASSISTANT_TEST_IDENTITY": "on",
           "IDENTITY_VAULT_KEY": Fernet.generate_key().decode(),
           "IDENTITY_VAULT_PATH": str(workdir / "vault.db"),
           "IDENTITY_ATTEMPTS_PATH": str(workdir / "attempts.db"),
           "IDENTITY_MAX_STARTS": "1000", "IDENTITY_MAX_STARTS_PER_PERSON": "1000",
           "BANKID_SIMULATOR_CONFIRM_SECONDS": "0.2",
           "IDENTITY_WAIT_SECONDS": "2", "IDENTITY_IDLE_SECONDS": str(IDLE_SECONDS),
           **support_env(support)}
    processes = AssistantProcesses(
        action_server([sys.executable, "-m", "actions.server", "--port", str(actions_port)],
                      env, workdir / "actions.log", actions_port),
        rasa([sys.executable, str(ROOT / "scripts" / "rasa_server.py"), "--api",
              "--model", str(MODEL),
              "--endpoints", str(workdir / "endpoints.yml"),
              "--credentials", str(workdir / "credentials.yml"),
              "--interface", "127.0.0.1", "--port", str(rasa_port)],
             {**env, "RASA_JWT_SECRET": jwt_secret}, workdir / "rasa.log", rasa_port))
    try:
        processes.start(timeout=300)
        sms.connect(f"http://127.0.0.1:{rasa_port}")
        yield Stack(f"http://127.0.0.1:{rasa_port}", workdir, backend, sms, voice, jwt_secret,
                    logs=[*processes.logs, backend.log], support=support)
    finally:
        backend.stop()
        sms.stop()
        processes.stop()


@contextmanager
def running_stacks(workdir: Path, modes: Iterable[str]) -> Iterator[Mapping[str, Stack]]:
    """One stack per support mode, each in its own directory, started at the same time (most
    of a start is Rasa loading the model, which waits on the disk as much as on a core)."""
    wanted = sorted(set(modes))
    with ExitStack() as exits:
        managers = {mode: running_stack(_mode_dir(workdir, mode), mode) for mode in wanted}
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            started = {mode: pool.submit(manager.__enter__)
                       for mode, manager in managers.items()}
        stacks, errors = {}, []
        for mode, future in started.items():
            try:
                stacks[mode] = future.result()
            except BaseException as error:  # stop the others before failing
                errors.append(error)
            else:
                exits.push(managers[mode].__exit__)
        if errors:
            exits.close()
            raise errors[0]
        yield stacks


def _mode_dir(workdir: Path, mode: str) -> Path:
    path = workdir / mode
    path.mkdir(parents=True, exist_ok=True)
    return path
