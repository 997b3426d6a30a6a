"""The assistant's client for the agent desk (agentdesk/, docs in /v1 of its contract).

Both processes use it: the action server asks for availability and opens the handoff, the
Rasa process forwards the citizen's messages while a person has the conversation and posts
call-back requests. ``AGENTDESK_URL`` and ``AGENTDESK_ASSISTANT_TOKEN`` configure it; with no
URL there is no desk (``DeskSettings.from_env`` returns None) and the assistant gives the
support line as before. Every text sent here is already redacted by the caller.

Short timeouts: a desk that does not answer must cost the turn at most a few seconds, and it
is then answered like a closed desk (the phone line), never with silence.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, TypedDict
from urllib.parse import quote

import aiohttp

URL_ENV = "AGENTDESK_URL"
TOKEN_ENV = "AGENTDESK_ASSISTANT_TOKEN"
DeskChannel = Literal["web", "sms"]
DESK_LANGUAGES = frozenset({"sv", "en"})


class DeskConfigError(ValueError):
    """AGENTDESK_URL is set but unusable, or its token is missing."""


class DeskUnavailableError(Exception):
    """The desk did not answer in time, or answered something unexpected."""


class DeskRefusedError(Exception):
    """The desk said no: ``reason`` is "closed" or "full" (409), or a 4xx reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeskSettings:
    url: str
    token: str
    timeout: float = 3.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeskSettings | None:
        environ = os.environ if environ is None else environ
        url = environ.get(URL_ENV, "").strip().rstrip("/")
        if not url:
            return None
        if not url.startswith(("http://", "https://")):
            raise DeskConfigError(f"{URL_ENV} must be an http(s) URL")
        token = environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise DeskConfigError(f"{URL_ENV} is set but {TOKEN_ENV} is not")
        return cls(url, token, float(environ.get("AGENTDESK_TIMEOUT_SECONDS", "3")))


@dataclass(frozen=True)
class Availability:
    open: bool
    staffed: bool
    queue_length: int
    queue_full: bool
    estimated_wait_seconds: int
    hours: str | None

    @property
    def accepts_handoffs(self) -> bool:
        return self.open and self.staffed and not self.queue_full


# One line: {"from": "citizen"|"bot", "text": ..., "at": ISO 8601}; "from" is a Python
# keyword, so a TypedDict could only be made in its functional form.
TranscriptLine = TypedDict("TranscriptLine", {"from": str, "text": str, "at": str})
Transcript = list[TranscriptLine]


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    channel: DeskChannel
    language: str
    identified: bool
    display_name: str | None
    protected_identity: bool
    transcript: Transcript


@dataclass(frozen=True)
class HandoffTicket:
    handoff_id: str
    status: str
    position: int
    estimated_wait_seconds: int


@dataclass(frozen=True)
class CallbackRequest:
    channel: DeskChannel
    language: str
    phone: str  # E.164
    preferred_time: str
    consent: bool


class DeskClient(Protocol):
    async def availability(self, channel: DeskChannel) -> Availability: ...

    async def open_handoff(self, request: HandoffRequest) -> HandoffTicket: ...

    async def post_message(self, handoff_id: str, text: str, message_id: str) -> None: ...

    async def request_callback(self, request: CallbackRequest) -> None: ...

    async def close(self) -> None: ...


def _availability(body: Mapping[str, Any]) -> Availability:
    hours = body.get("hours")
    return Availability(open=bool(body["open"]), staffed=bool(body["staffed"]),
                        queue_length=int(body["queue_length"]),
                        queue_full=bool(body["queue_full"]),
                        estimated_wait_seconds=int(body["estimated_wait_seconds"]),
                        hours=str(hours) if hours else None)


def _ticket(body: Mapping[str, Any]) -> HandoffTicket:
    return HandoffTicket(handoff_id=str(body["handoff_id"]), status=str(body["status"]),
                         position=int(body["position"]),
                         estimated_wait_seconds=int(body["estimated_wait_seconds"]))


class HttpDeskClient:
    """The desk over HTTP; the aiohttp session is made on first use (inside the loop)."""

    def __init__(self, settings: DeskSettings,
                 session: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._session = session

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._settings.timeout),
                headers={"Authorization": f"Bearer {self._settings.token}"})
        return self._session

    async def _call(self, method: str, path: str, payload: Any = None,
                    expected: int = 200) -> dict[str, Any]:
        try:
            async with self._client().request(method, self._settings.url + path,
                                              json=payload) as reply:
                body = await reply.json(content_type=None) if reply.content_length != 0 \
                    else {}
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as error:
            raise DeskUnavailableError(type(error).__name__) from error
        if status == expected:
            return body if isinstance(body, dict) else {}
        reason = str(body.get("error", status)) if isinstance(body, dict) else str(status)
        if status in (400, 409, 413):
            raise DeskRefusedError(reason)
        raise DeskUnavailableError(f"the desk answered {status}")

    async def availability(self, channel: DeskChannel) -> Availability:
        body = await self._call("GET", f"/v1/availability?channel={channel}")
        try:
            return _availability(body)
        except (KeyError, TypeError, ValueError) as error:
            raise DeskUnavailableError("availability is malformed") from error

    async def open_handoff(self, request: HandoffRequest) -> HandoffTicket:
        body = await self._call("POST", "/v1/handoffs", asdict(request), expected=201)
        try:
            return _ticket(body)
        except (KeyError, TypeError, ValueError) as error:
            raise DeskUnavailableError("the handoff answer is malformed") from error

    async def post_message(self, handoff_id: str, text: str, message_id: str) -> None:
        await self._call("POST", f"/v1/handoffs/{quote(handoff_id, safe='')}/messages",
                         {"text": text, "message_id": message_id}, expected=202)

    async def request_callback(self, request: CallbackRequest) -> None:
        await self._call("POST", "/v1/callbacks", asdict(request), expected=201)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def desk_from_env(environ: Mapping[str, str] | None = None) -> DeskClient | None:
    settings = DeskSettings.from_env(environ)
    return None if settings is None else HttpDeskClient(settings)
