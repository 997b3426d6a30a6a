"""``connectors.agentdesk.AgentDeskInput``: the routes the agent desk calls (credentials.yml).

- ``POST /webhooks/agentdesk/deliver`` {conversation_id, handoff_id, text, message_id,
  sender: "agent"}: the agent's message to the citizen, on the handoff's channel (the web
  chat's room, or SMS to the number the handoff keeps); a repeated message_id is delivered
  once;
- ``POST /webhooks/agentdesk/resume`` {conversation_id, handoff_id, outcome}: the citizen is
  told the assistant answers again, ``ConversationResumed`` goes into the tracker, and the
  handoff record is gone (the channel stops forwarding);
- ``GET /webhooks/agentdesk/``: health.

Every request needs ``Authorization: Bearer <AGENTDESK_DELIVERY_TOKEN>`` (constant-time
compare; 401 otherwise), and names the conversation's open handoff (404 otherwise: a closed
handoff's id cannot write into the conversation). Bad bodies are 400 with a reason, texts
over 4 KiB 413. Unset token: the routes answer 503. This channel hands nothing to Rasa as a
user message, so it declares no channel in common/channels.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.i18n import Catalogs
from common.handoff_store import HandoffRecord, HandoffStore, open_handoff_store
from common.log_ids import fingerprint
from connectors.agentdesk.conversation import (
    AgentTrackerLog,
    ConversationLog,
    agent_said,
    resumed_events,
)
from connectors.agentdesk.requests import RejectedError, authorised, parse_delivery, parse_resume
from connectors.base.handoff_outlets import outlet_for
from connectors.base.handoff_relay import AGENT_LABEL, RESUMED
from connectors.base.redaction import phrase_translator

logger = logging.getLogger(__name__)

CHANNEL_NAME = "agentdesk"
TOKEN_ENV = "AGENTDESK_DELIVERY_TOKEN"
Translate = Callable[[str, str], str]


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class AgentDeskInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> AgentDeskInput:
        unknown = sorted(set(credentials or {}))
        if unknown:
            raise ValueError(f"agentdesk: unknown setting(s) {', '.join(unknown)}; the token "
                             f"comes from {TOKEN_ENV}")
        token = os.environ.get(TOKEN_ENV, "").strip()
        return cls(token, open_handoff_store() if token else None)

    def __init__(self, token: str, store: HandoffStore | None,
                 log: Callable[[Any], ConversationLog] = AgentTrackerLog,
                 translate: Translate | None = None) -> None:
        self._token = token
        self._store = store
        self._log = log
        self._translate = translate or phrase_translator(Catalogs())
        if not token:
            logger.info("agentdesk: %s unset; the desk's routes answer 503", TOKEN_ENV)

    def _log_for(self, request: Request) -> ConversationLog:
        return self._log(getattr(request.app.ctx, "agent", None))

    async def _checked(self, request: Request) -> HTTPResponse | None:
        if self._store is None:
            return _error(503, "the agent desk is not configured")
        if not authorised(request.headers.get("authorization"), self._token):
            return _error(401, "the desk's delivery token is required")
        return None

    async def _record(self, conversation_id: str, handoff_id: str) -> HandoffRecord | None:
        assert self._store is not None
        record = await self._store.active(conversation_id)
        return record if record is not None and record.handoff_id == handoff_id else None

    async def deliver(self, request: Request) -> HTTPResponse:
        refused = await self._checked(request)
        if refused is not None:
            return refused
        assert self._store is not None
        try:
            delivery = parse_delivery(request.body)
        except RejectedError as rejected:
            return _error(rejected.status, rejected.reason)
        record = await self._record(delivery.conversation_id, delivery.handoff_id)
        if record is None:
            return _error(404, "no open handoff with this id for the conversation")
        outlet = outlet_for(request.app, record.channel)
        if outlet is None:
            return _error(503, f"the {record.channel} channel cannot deliver")
        if not await self._store.claim_delivery(delivery.message_id):
            return response.json({"delivered": True, "repeated": True})
        label = self._translate(record.language, AGENT_LABEL)
        if not await outlet.deliver(record, delivery.text):
            await self._store.release_delivery(delivery.message_id)
            logger.warning("agentdesk: message to %s not delivered",
                           fingerprint(record.conversation_id))
            return _error(502, "the message could not be sent to the citizen")
        await self._log_for(request).append(record.conversation_id,
                                            [agent_said(delivery.text, label)])
        return response.json({"delivered": True})

    async def resume(self, request: Request) -> HTTPResponse:
        refused = await self._checked(request)
        if refused is not None:
            return refused
        assert self._store is not None
        try:
            resume = parse_resume(request.body)
        except RejectedError as rejected:
            return _error(rejected.status, rejected.reason)
        record = await self._record(resume.conversation_id, resume.handoff_id)
        if record is None:
            return _error(404, "no open handoff with this id for the conversation")
        outlet = outlet_for(request.app, record.channel)
        if outlet is not None:  # before the record (and the SMS number) is gone
            await outlet.resumed(record)
        await self._store.end(record.conversation_id)
        await self._log_for(request).append(record.conversation_id, resumed_events(
            self._translate(record.language, RESUMED)))
        logger.info("agentdesk: %s resumed (%s)", fingerprint(record.conversation_id),
                    resume.outcome)
        return response.json({"resumed": True})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint(f"{CHANNEL_NAME}_webhook", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._store else "not configured"})

        # Sanic marks its handlers, which a bound method does not allow: plain functions.
        async def deliver(request: Request) -> HTTPResponse:
            return await self.deliver(request)

        async def resume(request: Request) -> HTTPResponse:
            return await self.resume(request)

        blueprint.add_route(health, "/", methods=["GET"])
        blueprint.add_route(deliver, "/deliver", methods=["POST"])
        blueprint.add_route(resume, "/resume", methods=["POST"])
        return blueprint
