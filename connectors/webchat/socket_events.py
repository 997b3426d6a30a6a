"""The socket.io events of the web chat, Rasa's protocol plus what a real widget needs.

Client → server (Rasa's names): ``session_request`` {session_id?, auth?},
``user_uttered`` {message, session_id?, metadata?: {language}}.
Server → client: ``session_confirm`` (the session id, as Rasa), ``bot_uttered`` (to the
session's room), and ours, which plain Rasa widgets ignore: ``session_history``
{session_id, messages} after each confirm, ``user_echo`` {text, payload} to the session's
other tabs, ``webchat_error`` {code, detail, retry_after?} instead of processing bad input.

A login lasts as long as its token: once ``Identity.valid_until`` has passed, the next
``user_uttered`` or ``session_request`` of that socket is refused with ``session_expired``,
the message never reaches Rasa, and the connection becomes anonymous with no session (it
leaves the person's room). It may then start a new, anonymous conversation, as any logged-out
visitor can, or present a fresh token; the person's conversation never goes on without one.

Unlike Rasa 3.6's channel, joining the session's room is awaited before the session is
confirmed (its un-awaited ``enter_room`` never ran, and replies to the room were lost), and
a per-session lock keeps messages, replies and history reads of a session in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import UserMessage
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from common.personal_number import redact
from common.shared_state import KeyLocks, LockUnavailableError
from connectors.base.client_address import ClientAddresses
from connectors.base.gate import gated
from connectors.base.handoff_relay import HandoffRelay, Intercepted
from connectors.base.ratelimit import Decision, Limiter, RateLimiter
from connectors.webchat.config import WebChatConfig
from connectors.webchat.handoff_outlet import HANDOFF_STATE_EVENT
from connectors.webchat.history import HistorySource
from connectors.webchat.locks import SessionLocks
from connectors.webchat.messages import (
    LANGUAGE_KEY,
    BadPayloadError,
    ErrorCode,
    auth_from_connect,
    parse_session_request,
    parse_user_uttered,
)
from connectors.webchat.output import BOT_EVENT, Emitter, WebChatOutput
from connectors.webchat.sessions import (
    ANONYMOUS,
    AuthenticationError,
    Identity,
    Session,
    SessionAuthenticator,
    SessionIds,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "webchat"
ERROR_EVENT = "webchat_error"
HISTORY_EVENT = "session_history"
ECHO_EVENT = "user_echo"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass
class Connection:
    identity: Identity
    address: str = ""
    session: Session | None = None


def _peer_and_forwarded(environ: dict[str, Any]) -> tuple[str, str | None]:
    request = environ.get("sanic.request")  # engine.io's environ has a fixed REMOTE_ADDR
    if request is not None:
        return str(request.ip or ""), request.headers.get("x-forwarded-for")
    return str(environ.get("REMOTE_ADDR", "")), environ.get("HTTP_X_FORWARDED_FOR")


class ChatEvents:
    def __init__(self, sio: AsyncServer, config: WebChatConfig,
                 authenticator: SessionAuthenticator, session_ids: SessionIds,
                 history: HistorySource, on_new_message: OnNewMessage,
                 limiter: Limiter | None = None, locks: KeyLocks | None = None,
                 address_limiter: Limiter | None = None,
                 clock: Callable[[], float] = time.time,
                 handoffs: HandoffRelay | None = None) -> None:
        self._sio = sio
        self._config = config
        self._auth = authenticator
        self._ids = session_ids
        self._history = history
        self._on_new_message = gated(CHANNEL_NAME, on_new_message)
        self._limiter = limiter or RateLimiter(config.rate_limit)
        self._address_limiter = address_limiter or RateLimiter(config.new_sessions_per_address)
        self._addresses = ClientAddresses.of_networks(config.trusted_proxies)
        self._locks: KeyLocks = locks or SessionLocks()
        self._connections: dict[str, Connection] = {}
        self._clock = clock
        self._handoffs = handoffs

    def register(self) -> None:
        self._sio.on("connect", self.connect)
        self._sio.on("disconnect", self.disconnect)
        self._sio.on("session_request", self.session_request)
        self._sio.on("user_uttered", self.user_uttered)

    def output(self) -> WebChatOutput:
        return WebChatOutput(self._emit_to_room)

    def room_emitter(self) -> Emitter:
        return self._emit_to_room

    async def _emit_to_room(self, event: str, data: Any, room: str) -> None:
        await self._sio.emit(event, data, room=room)

    async def _error(self, sid: str, code: str, detail: str, **extra: Any) -> None:
        await self._sio.emit(ERROR_EVENT, {"code": code, "detail": detail, **extra}, to=sid)

    async def _refused(self, sid: str, decision: Decision, detail: str) -> None:
        if decision.unavailable:
            await self._error(sid, ErrorCode.UNAVAILABLE, "the assistant is unavailable",
                              retry_after=round(decision.retry_after, 1))
        else:
            await self._error(sid, ErrorCode.RATE_LIMITED, detail,
                              retry_after=round(decision.retry_after, 1))

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        address = self._addresses.client(*_peer_and_forwarded(environ))
        decision = await self._address_limiter.take(f"connect:{address}")
        if not decision.allowed:
            raise SocketRefused(ErrorCode.UNAVAILABLE if decision.unavailable
                                else ErrorCode.RATE_LIMITED)
        try:
            identity = await self._auth.authenticate(auth_from_connect(auth))
        except BadPayloadError as error:
            raise SocketRefused(error.code) from None
        except AuthenticationError as error:
            logger.info("web chat: connection refused (%s)", error.code)
            raise SocketRefused(error.code) from None
        self._connections[sid] = Connection(identity, address)

    async def disconnect(self, sid: str, *_: Any) -> None:
        self._connections.pop(sid, None)

    async def session_request(self, sid: str, data: Any = None) -> None:
        connection = self._connections.get(sid)
        if connection is None:
            return
        decision = await self._limiter.take(f"connection:{sid}")
        if not decision.allowed:
            await self._refused(sid, decision, "too many session requests")
            return
        try:
            request = parse_session_request(data)
            if request.has_auth:
                connection.identity = await self._auth.authenticate(request.auth_token)
            elif await self._login_expired(sid, connection):
                return
        except BadPayloadError as error:
            await self._error(sid, error.code, error.detail)
            return
        except AuthenticationError as error:
            await self._error(sid, error.code, "the login could not be confirmed")
            return
        session = None
        if self._config.session_persistence and request.session_id:
            # An id issued to someone else (or forged) is not an error: a fresh session.
            session = self._ids.verify(request.session_id, connection.identity)
        continued = session is not None
        if not continued:  # a new session costs the address, a continued one does not
            decision = await self._address_limiter.take(f"session:{connection.address}")
            if not decision.allowed:
                await self._refused(sid, decision, "too many new sessions from this address")
                return
        session = session or self._ids.issue(connection.identity)
        previous = connection.session
        if previous is not None and previous.sender_id != session.sender_id:
            await self._sio.leave_room(sid, previous.sender_id)
        try:
            async with self._locks.hold(session.sender_id):
                await self._sio.enter_room(sid, session.sender_id)
                connection.session = session
                messages = await self._history.load(session.sender_id) if continued else []
                await self._sio.emit("session_confirm", session.token, to=sid)
                await self._sio.emit(HISTORY_EVENT, {"session_id": session.token,
                                                     "messages": messages}, to=sid)
        except LockUnavailableError as error:
            logger.error("web chat: session not confirmed (%s)", error)
            await self._error(sid, ErrorCode.UNAVAILABLE, "the assistant is unavailable")

    async def user_uttered(self, sid: str, data: Any = None) -> None:
        connection = self._connections.get(sid)
        if connection is None or await self._login_expired(sid, connection):
            return
        session = connection.session
        if session is None:
            await self._error(sid, ErrorCode.NO_SESSION, "send session_request first")
            return
        try:
            message = parse_user_uttered(data, self._config.max_message_chars)
        except BadPayloadError as error:
            await self._error(sid, error.code, error.detail)
            return
        if message.session_id is not None and message.session_id != session.token:
            await self._error(sid, ErrorCode.WRONG_SESSION,
                              "session_id is not this connection's session")
            return
        decision = await self._limiter.take(session.sender_id)
        if not decision.allowed:
            await self._refused(sid, decision, "too many messages")
            return
        text = redact(message.text).text
        metadata: dict[str, Any] = {LANGUAGE_KEY: message.language} if message.language else {}
        metadata.update(connection.identity.message_metadata)
        try:
            async with self._locks.hold(session.sender_id):
                await self._sio.emit(ECHO_EVENT,
                                     {"text": text, "payload": text.startswith("/")},
                                     room=session.sender_id, skip_sid=sid)
                # Unredacted: the desk's relay redacts what it forwards, and a call-back's
                # phone number may look like a personnummer (connectors/base/callbacks.py).
                intercepted = await self._intercept(session.sender_id, message.text)
                if intercepted is not None and not intercepted.to_rasa:
                    return
                await self._on_new_message(UserMessage(
                    text, self.output(), session.sender_id, input_channel=CHANNEL_NAME,
                    metadata=metadata))
        except Exception as error:  # the widget must hear of it, not wait forever
            logger.error("web chat: message not handled (%s)", type(error).__name__)
            await self._error(sid, ErrorCode.UNAVAILABLE, "the assistant failed to answer")

    async def _intercept(self, room: str, text: str) -> Intercepted | None:
        """A person has the chat (the text goes to the desk), or a call-back dialogue is on
        (connectors/base/handoff_relay.py); its replies go to the session's room."""
        if self._handoffs is None:
            return None
        intercepted = await self._handoffs.before_turn(room, text)
        if intercepted is None:
            return None
        if intercepted.forwarded:
            await self._emit_to_room(HANDOFF_STATE_EVENT, {"active": True}, room)
        for reply in intercepted.replies:
            await self._emit_to_room(BOT_EVENT, {"text": reply}, room)
        return intercepted

    async def _login_expired(self, sid: str, connection: Connection) -> bool:
        """True if the connection's login has expired: then its identity and session are
        dropped (it leaves the person's room) and the widget is told to log in again."""
        if not connection.identity.expired(self._clock()):
            return False
        if connection.session is not None:
            await self._sio.leave_room(sid, connection.session.sender_id)
        connection.identity, connection.session = ANONYMOUS, None
        logger.info("web chat: a login expired on an open connection")
        await self._error(sid, ErrorCode.SESSION_EXPIRED,
                          "the login has expired; log in again to continue")
        return True
