"""The assistant's processes for a test harness, on loopback: the case backend with the demo
persons in its own SQLite file, the action server and Rasa, each a ``deploy.processes.Service``
with its log in the harness's work directory (only the process's own lines: the tests read them),
started in that order and stopped in reverse.

Each harness (tests/e2e/conftest.py, tests/web/stack.py, tests/conversations/player/stack.py)
keeps its own settings: the ports, the processes' environment, credentials.yml, the tracker
store and the commands; this module only starts, waits for and stops what they describe.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from actions.backend_types import Caller
from actions.identity_assertion import HEADER as ASSERTION_HEADER
from actions.identity_assertion import AssertionSigner
from common.service_credentials import ServiceCredentials
from deploy.case_backend import case_backend_service, prepare_demo_database
from deploy.processes import Service, ServiceError, json_status
from deploy.settings import BACKEND_PY, MODEL, ROOT

__all__ = ["BACKEND_PY", "BIN", "MODEL", "ROOT", "AssistantProcesses", "Backend",
           "action_server", "http_json", "rasa", "rasa_endpoints", "write_yaml"]

BIN = Path(sys.executable).parent
BACKEND_READY_SECONDS = 60.0


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
    service: Service | None = None

    def start(self) -> None:
        """Its database migrated and filled with the demo persons, then served."""
        prepare_demo_database(self.env)
        port = int(self.url.rsplit(":", 1)[1])
        self.service = case_backend_service(self.env, self.log, port, announce=False)
        self.service.start()
        self.service.wait_ready(BACKEND_READY_SECONDS)

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

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


def rasa_endpoints(actions_port: int, tracker_db: Path) -> dict[str, Any]:
    """bot/endpoints.yml with this harness's action server and SQLite tracker store."""
    endpoints: dict[str, Any] = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    return endpoints


def write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(data)))


def action_server(argv: Sequence[str], env: Mapping[str, str], log: Path,
                  port: int) -> Service:
    """Waited for through Rasa (its readiness), not on its own."""
    return Service("action server", argv, cwd=ROOT, env=env, log=log, port=port,
                   announce=False)


def rasa(argv: Sequence[str], env: Mapping[str, str], log: Path, port: int) -> Service:
    """Ready once the ops channel's /ready says so (the model loaded, the stores answer)."""
    return Service("rasa", argv, cwd=ROOT, env=env, log=log, port=port, ready_path="/ready",
                   ready=json_status("ready"), announce=False)


@dataclass
class AssistantProcesses:
    """The action server and Rasa of one harness: started together, Rasa waited for while the
    action server is watched, stopped Rasa first."""

    action_server: Service
    rasa: Service
    started: list[Service] = field(default_factory=list)

    @property
    def logs(self) -> list[Path]:
        return [self.action_server.log, self.rasa.log]

    def start(self, timeout: float) -> None:
        """Raises RuntimeError with the tail of the failed process's log."""
        try:
            for service in (self.action_server, self.rasa):
                service.start()
                self.started.append(service)
            self.rasa.wait_ready(timeout, watching=[self.action_server])
        except ServiceError as error:
            failed = next((s for s in self.started if not s.running), self.rasa)
            raise RuntimeError(f"{error}:\n{failed.log_tail()}") from error

    def stop(self) -> None:
        for service in reversed(self.started):
            service.stop()
        self.started.clear()
