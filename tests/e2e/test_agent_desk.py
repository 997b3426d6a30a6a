"""A person takes over an SMS conversation, on `make run` as a newcomer starts it: the real agent
desk (agentdesk/, its own process and database), the assistant, the local Twilio account and
its outbox. An agent signs in to the desk's API as the desk's page does (CSRF token, session
cookie), takes the waiting conversation, and they write to each other both ways; the agent
hands back and the bot answers again. Independent of the tracker store: the SQLite pass only.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.request
from typing import Any

import pytest

from connectors.local_twilio.client import SmsClient, outbox_messages
from connectors.local_twilio.terminal import endpoint_from_account

from .conftest import TRACKER_STORE
from .test_local_phone import MadeRun, made_run

__all__ = ["made_run"]
pytestmark = pytest.mark.skipif(TRACKER_STORE != "sqlite",
                                reason="make run's default is SQLite; once is enough")

# Written by hand: the texts the citizen must see (bot/domain/handoff.yml, the relay's).
QUEUED = "Jag kopplar dig till en handläggare. Du är nummer 1 i kön"
RESUMED = "Nu svarar den digitala assistenten igen."
AGENT_SAYS = "Hej! Jag heter Anna och ser på din fråga."
CITIZEN_SAYS = "Tack Anna, jag undrar över min ansökan"


class DeskSession:
    """An agent in the desk's page: cookies kept, the CSRF token sent on every change."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        request = urllib.request.Request(
            self.base_url + path, method=method, headers=headers,
            data=None if body is None else json.dumps(body).encode())
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def sign_in(self, username: str, password: str) -> None:
        self.csrf = self.call("GET", "/desk/api/csrf")["csrf_token"]
        self.csrf = self.call("POST", "/desk/api/login",
                              {"username": username, "password": password})["csrf_token"]


def desk_of(made_run: MadeRun) -> tuple[str, str]:
    """The desk's address and demo password, as `make run`'s first screen prints them."""
    screen = made_run.screen()
    line = next(line for line in screen.splitlines() if "agent desk" in line)
    url = line.split()[2].rstrip("/")
    password = line.rsplit("password ", 1)[1].rstrip(")").strip()
    return url, password


def wait_for_sms(made_run: MadeRun, phone: str, after: int, wanted: str,
                 timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = outbox_messages(made_run.outbox_url, phone, after)
        if any(wanted in str(message["body"]) for message in messages):
            return messages
        time.sleep(0.3)
    raise AssertionError(f"no SMS with {wanted!r}: {outbox_messages(made_run.outbox_url, phone)}")


def last_id(made_run: MadeRun, phone: str) -> int:
    return max((int(m["id"]) for m in outbox_messages(made_run.outbox_url, phone)), default=0)


def test_an_agent_takes_over_an_sms_conversation_and_hands_it_back(made_run: MadeRun) -> None:
    desk_url, password = desk_of(made_run)
    agent = DeskSession(desk_url)
    agent.sign_in("agent1", password)  # signed in: the desk is staffed
    endpoint, account = endpoint_from_account(made_run.var / "local-twilio.json")
    citizen = SmsClient(endpoint)
    phone = account.caller_number

    answer = " ".join(citizen.send("jag vill prata med en person"))
    assert QUEUED in answer, answer
    waiting = agent.call("GET", "/desk/api/queue")["waiting"]
    assert len(waiting) == 1
    handoff = waiting[0]["handoff_id"]
    detail = agent.call("POST", f"/desk/api/handoffs/{handoff}/take")
    assert "jag vill prata med en person" in json.dumps(detail, ensure_ascii=False)

    before = last_id(made_run, phone)
    agent.call("POST", f"/desk/api/handoffs/{handoff}/reply", {"text": AGENT_SAYS})
    received = wait_for_sms(made_run, phone, before, AGENT_SAYS)
    assert any(str(m["body"]).startswith("Handläggare") for m in received)

    # While the agent has it, the citizen's SMS go to the agent and the bot says nothing.
    assert citizen.send(CITIZEN_SAYS) == []
    deadline = time.monotonic() + 15
    while CITIZEN_SAYS not in json.dumps(
            agent.call("GET", f"/desk/api/handoffs/{handoff}"), ensure_ascii=False):
        assert time.monotonic() < deadline, "the citizen's SMS never reached the desk"
        time.sleep(0.3)

    before = last_id(made_run, phone)
    agent.call("POST", f"/desk/api/handoffs/{handoff}/hand-back", {"outcome": "handed_back"})
    wait_for_sms(made_run, phone, before, RESUMED)
    bot = " ".join(citizen.send("vad är ett förmånsintyg?"))
    assert "förmånsintyg" in bot.lower() and "rabatt" in bot.lower(), bot
