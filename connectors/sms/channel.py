"""SMS conversations over Twilio Messaging: the Rasa input channel.

``credentials.yml``::

    connectors.sms.TwilioSmsInput:
      account_sid: "${TWILIO_ACCOUNT_SID}"
      auth_token: "${TWILIO_AUTH_TOKEN}"
      public_base_url: "${SMS_PUBLIC_BASE_URL}"   # the address Twilio calls, behind the proxy
      from_number: "${TWILIO_SMS_FROM}"
      conversation_secret: "${SMS_CONVERSATION_SECRET}"
      store_path: var/sms.db

Routes under ``/webhooks/twilio_sms``:

- ``POST /webhook``: Twilio's incoming-message webhook; answers TwiML ``<Message>`` (a
  personal answer goes through the REST API to the sender's number instead);
- ``POST /status``: Twilio's status callback for the messages we send through the REST API;
- ``POST /notices``: proactive notices from the case backend (service token, see
  ``connectors.sms.notices``);
- ``GET /``: health.

Every request from Twilio is checked against its signature first: a forged, malformed,
oversized or repeated request gets a clear 4xx (or, repeated, an empty answer) and nothing
reaches Rasa.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.i18n import Catalogs
from bot.support import load_support_line
from common.metadata import TEST_PERSON_REF
from common.shared_state import RedisHandle, RedisLocks, SharedState
from connectors.base.gate import gated
from connectors.base.handoff_outlets import register_outlet
from connectors.base.handoff_relay import relay_from_env
from connectors.base.personal_responses import load_personal_responses
from connectors.base.redaction import phrase_translator, vault_redaction
from connectors.base.tasks import BackgroundTasks
from connectors.sms.config import SmsSettings
from connectors.sms.conversations import ConversationIds
from connectors.sms.handoff_outlet import SmsOutlet
from connectors.sms.inbound import parse_inbound, parse_status
from connectors.sms.notices import NoticeService, parse_notice
from connectors.sms.outbound import OutboundSender, SmsTransport, TwilioRestTransport
from connectors.sms.service import CHANNEL_NAME, SmsConversationService, SmsLimits
from connectors.sms.store import open_sms_store
from connectors.twilio.signed_requests import (
    SIGNATURE_HEADER,
    TWIML_CONTENT_TYPE,
    FormParams,
    RequestRejectedError,
    messaging_twiml,
    read_signed_form,
    signed_url,
)

logger = logging.getLogger(__name__)

TEST_PERSON_HEADER = "X-Test-Person-Ref"
TEST_PERSON_KEY = TEST_PERSON_REF
PREFIX = f"/webhooks/{CHANNEL_NAME}"
STATUS_PATH = f"{PREFIX}/status"
SHUTDOWN_DRAIN_SECONDS = 10.0


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def _tracker_language(request: Request) -> Callable[[str], Awaitable[str]]:
    """The conversation's language as the NLG sees it (bot.language), for our own phrases."""
    async def language_of(conversation_id: str) -> str:
        processor: Any = getattr(getattr(request.app.ctx, "agent", None), "processor", None)
        nlg: Any = getattr(processor, "nlg", None)
        default = str(getattr(nlg, "default_language", "sv"))
        if processor is None or nlg is None or not hasattr(nlg, "language_of"):
            return default
        tracker = await processor.tracker_store.retrieve(conversation_id)
        return default if tracker is None else str(nlg.language_of(tracker))
    return language_of


class TwilioSmsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioSmsInput:
        return cls(SmsSettings.from_credentials(credentials), shared=SharedState.from_env())

    def __init__(self, settings: SmsSettings, transport: SmsTransport | None = None,
                 shared: SharedState | None = None) -> None:
        self.settings = settings
        # Several replicas: MessageSids, opt-outs, choices, notices and per-sender order in
        # Redis (ASSISTANT_REDIS_URL); otherwise the SQLite file and in-process locks.
        shared = shared or SharedState()
        self.handle = RedisHandle(shared) if shared.enabled else None
        if not settings.enabled:
            logger.warning("twilio_sms: not configured (TWILIO_* unset); its webhooks "
                           "answer 503")
            return
        catalogs = Catalogs()
        translate = phrase_translator(catalogs)
        self.languages = catalogs.languages()
        self.store = open_sms_store(settings.store_path, self.handle)
        self.ids = ConversationIds(settings.conversation_secret)
        self.tasks = BackgroundTasks()
        # The agent desk (AGENTDESK_URL); unset: none, and SMS is as it was.
        self.handoffs = relay_from_env(translate, load_support_line().phone,
                                       handle=self.handle)
        self.sender = OutboundSender(
            transport or TwilioRestTransport(settings.account_sid, settings.auth_token,
                                             settings.from_number, settings.api_base_url),
            self.store, self.ids, settings.url(STATUS_PATH), attempts=settings.send_attempts)
        self.service = SmsConversationService(
            store=self.store, ids=self.ids, sender=self.sender, tasks=self.tasks,
            translate=translate, support_phone=load_support_line().phone,
            limits=SmsLimits(reply_timeout=settings.reply_timeout,
                             max_body_chars=settings.max_body_chars,
                             max_segments=settings.max_segments,
                             choices_ttl=settings.choices_ttl),
            redact=vault_redaction(shared=shared),
            locks=RedisLocks(self.handle, "sms") if self.handle else None,
            personal_responses=load_personal_responses(),
            handoffs=self.handoffs)
        self.outlet = None if self.handoffs is None else SmsOutlet(
            self.sender, self.handoffs.store, translate, settings.max_segments)
        self.notices = NoticeService(self.sender, self.store, self.ids, self.tasks, translate,
                                     settings.max_segments)

    def _signed_params(self, request: Request) -> FormParams:
        return read_signed_form(
            body=request.body or b"", content_type=request.headers.get("content-type"),
            signature=request.headers.get(SIGNATURE_HEADER),
            url=signed_url(self.settings.public_base_url, request.path,
                           request.query_string),
            auth_token=self.settings.auth_token, max_body_bytes=self.settings.max_body_bytes,
            channel=CHANNEL_NAME)

    def _metadata(self, request: Request) -> dict[str, Any]:
        if not self.settings.test_identity_header:
            return {}
        ref = (request.headers.get(TEST_PERSON_HEADER) or "").strip()
        return {TEST_PERSON_KEY: ref} if ref else {}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint(f"{CHANNEL_NAME}_webhook", __name__)
        settings = self.settings
        on_new_message = gated(CHANNEL_NAME, on_new_message)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if settings.enabled else "not configured"})

        async def webhook(request: Request) -> HTTPResponse:
            if not settings.enabled:
                return _error(503, "the SMS channel is not configured")
            try:
                inbound = parse_inbound(self._signed_params(request), settings.account_sid)
            except RequestRejectedError as rejected:
                logger.info("twilio_sms webhook rejected: %d %s", rejected.status,
                            rejected.reason)
                return _error(rejected.status, rejected.reason)
            replies = await self.service.receive(inbound, on_new_message,
                                                 self._metadata(request),
                                                 _tracker_language(request))
            return response.text(messaging_twiml(replies), content_type=TWIML_CONTENT_TYPE)

        async def status(request: Request) -> HTTPResponse:
            if not settings.enabled:
                return _error(503, "the SMS channel is not configured")
            try:
                callback = parse_status(self._signed_params(request), settings.account_sid)
            except RequestRejectedError as rejected:
                return _error(rejected.status, rejected.reason)
            await self.sender.on_status(callback.message_sid, callback.status,
                                        callback.error_code)
            return response.empty(status=204)

        async def notices(request: Request) -> HTTPResponse:
            if not settings.enabled or not settings.notices_token:
                return _error(503, "SMS notices are not configured")
            if not self._authorised(request):
                return _error(401, "the notifier's token is required")
            try:
                payload = json.loads(request.body or b"")
                notice = parse_notice(payload, self.languages)
            except json.JSONDecodeError:
                return _error(400, "the body must be JSON")
            except RequestRejectedError as rejected:
                return _error(rejected.status, rejected.reason)
            outcome = await self.notices.submit(notice)
            return response.json({"status": outcome.value}, status=202)

        async def register(app: Any, _: Any) -> None:
            if settings.enabled and self.outlet is not None:
                register_outlet(app, "sms", self.outlet)

        async def close(*_: Any) -> None:
            if settings.enabled:
                if self.handoffs is not None:
                    await self.handoffs.desk.close()
                await self.tasks.drain(SHUTDOWN_DRAIN_SECONDS)
                await self.sender.close()
                await self.store.close()
                if self.handle is not None:
                    await self.handle.close()

        blueprint.add_route(health, "/", methods=["GET"])
        blueprint.add_route(webhook, "/webhook", methods=["POST"])
        blueprint.add_route(status, "/status", methods=["POST"])
        blueprint.add_route(notices, "/notices", methods=["POST"])
        blueprint.listener(register, "before_server_start")
        blueprint.listener(close, "after_server_stop")
        return blueprint

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization") or ""
        scheme, _, token = header.partition(" ")
        expected = self.settings.notices_token.encode("utf-8")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8"), expected)
