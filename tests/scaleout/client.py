"""A REST client as a careful app would be: every message carries its own ``message_id`` and is
sent again with the same id after a connection error, a timeout or a 5xx, until it is
answered or a deadline passes. Every attempt is recorded, so the tests can count what users
saw, what was lost and when service came back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

WEBHOOK = "/webhooks/rest/webhook"


@dataclass
class Attempt:
    started: float  # time.monotonic()
    ended: float
    outcome: str  # "ok", an HTTP status, or the exception's name

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass
class Turn:
    sender: str
    text: str
    message_id: str
    replies: list[dict[str, Any]] | None = None  # None: never answered
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.replies is not None

    @property
    def failed_attempts(self) -> list[Attempt]:
        return [attempt for attempt in self.attempts if not attempt.ok]

    @property
    def texts(self) -> list[str]:
        return [str(reply.get("text", "")) for reply in self.replies or []]

    @property
    def seconds(self) -> float:
        return self.attempts[-1].ended - self.attempts[0].started if self.attempts else 0.0


class RetryingClient:
    def __init__(self, session: aiohttp.ClientSession, *, deadline: float = 120.0,
                 attempt_timeout: float = 30.0, backoff: float = 0.2,
                 max_backoff: float = 2.0) -> None:
        self._session = session
        self._deadline = deadline
        self._timeout = aiohttp.ClientTimeout(total=attempt_timeout)
        self._backoff = backoff
        self._max_backoff = max_backoff

    async def send(self, base_url: str, sender: str, text: str,
                   metadata: dict[str, Any] | None = None,
                   message_id: str | None = None) -> Turn:
        turn = Turn(sender, text, message_id or uuid.uuid4().hex)
        body: dict[str, Any] = {"sender": sender, "message": text,
                                "message_id": turn.message_id}
        if metadata:
            body["metadata"] = metadata
        give_up = time.monotonic() + self._deadline
        pause = self._backoff
        while time.monotonic() < give_up:
            started = time.monotonic()
            try:
                async with self._session.post(base_url + WEBHOOK, json=body,
                                              timeout=self._timeout) as response:
                    if response.status == 200:
                        turn.replies = list(await response.json())
                        turn.attempts.append(Attempt(started, time.monotonic(), "ok"))
                        return turn
                    await response.read()
                    outcome = str(response.status)
                    retry = response.status >= 500
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                outcome, retry = type(error).__name__, True
            turn.attempts.append(Attempt(started, time.monotonic(), outcome))
            if not retry:
                return turn
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._max_backoff)
        return turn


def lost(turns: Iterable[Turn]) -> list[Turn]:
    return [turn for turn in turns if not turn.answered]


def troubled(turns: Iterable[Turn]) -> list[Turn]:
    """Turns that needed more than one attempt: without the retry, the user saw an error."""
    return [turn for turn in turns if turn.failed_attempts]
