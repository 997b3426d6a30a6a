"""Personal turns for the benchmark: identified conversations asking for their case status
and next payment, answered through the action server and the case backend.

Each conversation identifies once as a citizen does, untimed: a personal question, the demo
person's personnummer, the BankID simulator's confirmation (a short delay here), and the
pending question answered. Then the timed turns. With ``identity="test_ref"`` (the default)
every timed message also carries the person's backend reference as ``test_person_ref``, the
action server's test-only identity path (``ASSISTANT_TEST_IDENTITY=on``), so several personal
turns follow one identification even where the conversation itself forgets it after the
first answer; ``identity="bankid"`` relies on the conversation's own identification alone.

BankID (and its simulator) refuses a second order for a person whose first one is still
waiting, and every benchmark conversation is the same demo person: the conversations identify
one after the other, once each, and are kept for the whole run (a closed loop's round ends,
the next continues them), as a citizen asks one question after the other.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.harness.channels import TurnFailedError
from benchmarks.harness.questions import normalise
from common.service_credentials import ServiceCredentials, without_credentials
from deploy.case_backend import case_backend_service, prepare_demo_database
from deploy.processes import Service

IDENTITIES = ("test_ref", "bankid")


@dataclass(frozen=True)
class PersonalQuestion:
    text: str
    response: str  # the utter_ that answers it
    facts: tuple[str, ...]  # every one in the answer (casefolded, spaces collapsed)

    def answered_by(self, texts: Sequence[str]) -> bool:
        said = normalise(" ".join(texts))
        return all(fact in said for fact in self.facts)


@dataclass(frozen=True)
class DemoPerson:
    """A DESIGN.md demo person and what the case backend's demo data holds for them."""

    personnummer: str
    questions: tuple[PersonalQuestion, ...]
    # The answer to the identifying question (the next payment), after BankID.
    identified_by: PersonalQuestion


# Tolvan: two open cases (sjukpenning, bostadsbidrag) and 12 345 kr of sjukpenning monthly
# (casebackend/src/casebackend/demo/data.py). Facts written by hand, not by the formatter.
_TOLVAN_PAYMENT = PersonalQuestion(
    "när kommer mina pengar?", "utter_next_payment",
    ("din nästa utbetalning är 12 345 kr i sjukpenning den",))
TOLVAN = DemoPerson(
    personnummer="19121212-1212",
    questions=(
        PersonalQuestion("hur går det med mitt ärende?", "utter_case_status",
                         ("ditt ärende om sjukpenning:", "ditt ärende om bostadsbidrag:")),
        _TOLVAN_PAYMENT,
    ),
    identified_by=_TOLVAN_PAYMENT,
)
ASKS_FOR_NUMBER = "behöver jag veta vem du är"


def personal_question(number: int, person: DemoPerson = TOLVAN) -> PersonalQuestion:
    """Case status and next payment, turn about."""
    return person.questions[number % len(person.questions)]


# ---- the case backend ----
_ACCESS = re.compile(r'"message": "(?:GET|POST) \S+ \d{3} (\d+(?:\.\d+)?)ms"')


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")



def _http_json(url: str, payload: Any | None = None, token: str = "",
               timeout: float = 10) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


@dataclass
class CaseBackend:
    """The case backend with its demo data in the run's own SQLite file (as tests/e2e)."""

    workdir: Path
    port: int
    credentials: ServiceCredentials = field(default_factory=ServiceCredentials.generate)
    service: Service | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {**without_credentials(os.environ), **self.credentials.backend_env(),
                "CASEBACKEND_DATABASE_URL":
                    f"sqlite+aiosqlite:///{self.workdir / 'casebackend.db'}",
                "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": str(self.port),
                "TZ": "Europe/Stockholm"}

    def start(self, timeout: float = 60) -> None:
        env = self._env()
        prepare_demo_database(env)
        self.service = case_backend_service(env, self.log, self.port, announce=False)
        self.service.start()
        self.service.wait_ready(timeout)

    @property
    def pid(self) -> int | None:
        return self.service.pid if self.service is not None else None

    @property
    def log(self) -> Path:
        return self.workdir / "casebackend.log"

    def handling_ms(self, since_line: int = 0) -> list[float]:
        """The backend's own time per request (its access log), from line ``since_line``."""
        lines = self.log.read_text(errors="replace").splitlines()[since_line:]
        return [float(match.group(1)) for line in lines if (match := _ACCESS.search(line))]

    def log_lines(self) -> int:
        return len(self.log.read_text(errors="replace").splitlines())

    def person_ref(self, personnummer: str) -> str:
        """The opaque reference the test identity path sends (looked up as the e2e tests
        do, with the lookup token; never through the assistant)."""
        body = _http_json(f"{self.url}/v1/person-lookups", {"personnummer": personnummer},
                          token=self.credentials.lookup_token)
        return str(body["person_ref"])

    def action_server_env(self) -> dict[str, str]:
        """What the action server needs to reach it, and the identification's settings for a
        benchmark: a short simulator delay, no start limit in the way of the load."""
        return {"CASEBACKEND_URL": self.url, **self.credentials.action_server_env(),
                "ASSISTANT_TEST_IDENTITY": "on", "BANKID_SIMULATOR_CONFIRM_SECONDS": "0.2",
                "IDENTITY_MAX_STARTS": "1000000", "IDENTITY_MAX_STARTS_PER_PERSON": "1000000",
                "IDENTITY_MAX_STARTS_GLOBAL": "1000000", "TZ": "Europe/Stockholm"}

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


# ---- the client ----
@dataclass
class PersonalConversation:
    http: aiohttp.ClientSession
    url: str
    sender: str
    person_ref: str | None  # sent with every timed message (test identity path), or None
    on_close: Callable[[PersonalConversation], None] = lambda _conversation: None

    async def say(self, text: str, metadata: dict[str, Any] | None = None) -> list[str]:
        payload: dict[str, Any] = {"sender": self.sender, "message": text}
        if metadata:
            payload["metadata"] = metadata
        async with self.http.post(self.url, json=payload) as reply:
            if reply.status != 200:
                raise TurnFailedError(f"HTTP {reply.status}")
            body = await reply.json()
        if not isinstance(body, list):
            raise TurnFailedError(f"not a list of messages: {str(body)[:200]}")
        return [str(message["text"]) for message in body
                if isinstance(message, dict) and message.get("text")]

    async def ask(self, text: str) -> list[str]:
        ref = {"test_person_ref": self.person_ref} if self.person_ref else None
        return await self.say(text, ref)

    async def close(self) -> None:
        self.on_close(self)


@dataclass
class PersonalChannel:
    """The project's REST channel, conversations identified before their timed turns."""

    base_url: str
    http: aiohttp.ClientSession
    person_ref: str
    person: DemoPerson = TOLVAN
    identity: str = "test_ref"
    name: str = "personal"
    # The identification made Rasa turns: the closed loop asks no untimed question first.
    opens_with_a_turn: bool = True
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    identified: int = 0  # conversations identified so far (each once)
    _idle: list[PersonalConversation] = field(default_factory=list)
    # One BankID order for the person at a time.
    _bankid: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def open(self) -> PersonalConversation:
        if self._idle:
            return self._idle.pop(0)
        self.identified += 1
        conversation = PersonalConversation(
            self.http, f"{self.base_url}/webhooks/rest/webhook",
            f"bench-personal-{self.run_id}-{self.identified}",
            self.person_ref if self.identity == "test_ref" else None, self._idle.append)
        asked = await conversation.say(self.person.identified_by.text)
        if ASKS_FOR_NUMBER not in normalise(" ".join(asked)):
            raise TurnFailedError(f"not asked for the personnummer: {asked!r}"[:300])
        async with self._bankid:
            answered = await conversation.say(self.person.personnummer)
        if not self.person.identified_by.answered_by(answered):
            raise TurnFailedError(f"identified, but the pending question got {answered!r}"
                                  [:300])
        return conversation
