"""Rasa's REST channel contract (POST /webhooks/rest/webhook) with the personnummer removed.

Same request and response as Rasa's own ``rest`` channel, so `make chat`, curl and tests work
unchanged, but the text is redacted before Rasa sees it: a valid personnummer goes to the
identity vault and its one-time token into the metadata (``pnr_token``). Malformed requests
get a 400 with a reason and reach nothing.

An optional ``message_id`` (the client's, unique per message: a UUID) makes retries safe: the
same message sent again with the same id is answered with the replies it got the first time
instead of being processed twice (connectors/rest/once.py).

REST is not a public citizen channel (docs/security.md): the public proxy does not forward it,
and with a token configured (``token`` in credentials.yml or ``REST_CHANNEL_TOKEN``; production
mode requires one) every request must carry ``Authorization: Bearer <token>``. Whoever holds
the token picks conversation ids, but never one of another channel (``web-``, ``sms-``,
``voice-``: refused with 403 by the gate, connectors/base/gate.py), and the client's metadata
is cut to what a client may say (``language``, and the test-only ``test_person_ref``).

Messages are rate limited per sender and over all senders (a flood over rotating sender ids
meets the global one): 429 with ``Retry-After``, and 503 if the shared limit (Redis, with
``ASSISTANT_REDIS_URL``) cannot be checked. ``credentials.yml``::

    connectors.rest.RedactingRestInput:
      per_sender_rate_limit: {messages: 5, per_seconds: 1, burst: 20}
      global_rate_limit: {messages: 50, per_seconds: 1, burst: 200}
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.identity_vault import IdentityVault
from common.shared_state import handle_from_env
from connectors.base.gate import GateRefusedError, admit, client_metadata, gated
from connectors.base.ratelimit import parse_rate_limit
from connectors.base.redaction import vault_redaction
from connectors.rest.limits import DEFAULT_GLOBAL, DEFAULT_PER_SENDER, RestLimits, refused_response
from connectors.rest.once import MAX_MESSAGE_ID_CHARS, handle_once

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 20_000
TOKEN_ENV = "REST_CHANNEL_TOKEN"
MIN_TOKEN_CHARS = 32
class RedactingRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        limit = int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        if limit <= 0:
            raise ValueError("rest: max_message_chars must be positive")
        token = str(credentials.get("token") or os.environ.get(TOKEN_ENV) or "")
        if token and len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"rest: the token must have at least {MIN_TOKEN_CHARS} characters")
        per_sender = credentials.get("per_sender_rate_limit")
        overall = credentials.get("global_rate_limit")
        limits = RestLimits.make(
            parse_rate_limit(per_sender, "rest: per_sender_rate_limit") if per_sender
            else DEFAULT_PER_SENDER,
            parse_rate_limit(overall, "rest: global_rate_limit") if overall
            else DEFAULT_GLOBAL,
            handle_from_env())
        return cls(limit, limits=limits, token=token or None)

    def __init__(self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 vault: IdentityVault | None = None, limits: RestLimits | None = None,
                 token: str | None = None) -> None:
        self._max_chars = max_message_chars
        self._redact = vault_redaction(vault)
        self._limits = limits or RestLimits.make()
        self._token = token

    def _authorised(self, request: Request) -> bool:
        if self._token is None:
            return True
        given = request.headers.get("authorization") or ""
        return hmac.compare_digest(given.encode(), f"Bearer {self._token}".encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("redacting_rest", __name__)
        on_new_message = gated(self.name(), on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "a valid bearer token is required"}, status=401,
                                     headers={"WWW-Authenticate": "Bearer"})
            try:
                body = request.json
            except Exception:
                body = None
            problem = self._problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            decision = await self._limits.take(str(body["sender"]))
            if not decision.allowed:
                return refused_response(decision)
            text = str(body.get("message") or "")
            metadata: dict[str, Any] = client_metadata(body.get("metadata"))
            text, vault_metadata = await self._redact(text)
            metadata.update(vault_metadata)
            collector = CollectingOutputChannel()
            message_id = body.get("message_id")
            message = UserMessage(text, collector, str(body["sender"]),
                                  input_channel=self.name(), metadata=metadata,
                                  message_id=message_id)
            agent = getattr(request.app.ctx, "agent", None)
            try:
                admit(self.name(), message)
                if message_id is None or agent is None or not agent.is_ready():
                    await on_new_message(message)
                else:  # a retry of a message already handled gets the same answer again
                    await handle_once(agent, message,
                                      gated(self.name(), agent.processor.handle_message))
            except GateRefusedError as refusal:
                return response.json({"error": str(refusal)}, status=403)
            return response.json(collector.messages)

        return webhook

    def _problem(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "the body must be a JSON object"
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > 200:
            return "sender must be a non-empty string of at most 200 characters"
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            return "message must be a string"
        if message and len(message) > self._max_chars:
            return f"message is longer than {self._max_chars} characters"
        if body.get("metadata") is not None and not isinstance(body.get("metadata"), dict):
            return "metadata must be an object"
        message_id = body.get("message_id")
        if message_id is not None and (not isinstance(message_id, str) or not message_id
                                       or len(message_id) > MAX_MESSAGE_ID_CHARS):
            return (f"message_id must be a non-empty string of at most "
                    f"{MAX_MESSAGE_ID_CHARS} characters")
        return None
