"""Phone IVR over Twilio Voice: the Rasa input channel.

``credentials.yml`` (see there and docs/voice.md)::

    connectors.voice.TwilioVoiceInput:
      account_sid: "${TWILIO_ACCOUNT_SID}"
      auth_token: "${TWILIO_AUTH_TOKEN}"
      public_base_url: "${VOICE_PUBLIC_BASE_URL}"
      conversation_secret: "${VOICE_CONVERSATION_SECRET}"

Routes under ``/webhooks/twilio_voice``:

- ``POST /incoming``: the number's voice webhook; greeting and keypad menu;
- ``POST /gather?step=N``: what the caller said or pressed at step N;
- ``POST /collect?step=N``: an answer that was not ready in time ("one moment");
- ``POST /status``: the call-status callback; an ended call ends the conversation's session
  and its stored answers are deleted;
- ``GET /``: health.

Every request is checked against its Twilio signature (over the public URL, blank fields kept)
before anything else; forged, unsigned, malformed or incomplete requests get a 4xx and never
reach Rasa. A repeated request for the same CallSid and step gets the same answer, once,
while the call lasts; a request for a call that is over (ended, or older than the longest
call) gets a hang-up and nothing is processed, so a captured request replayed later yields
nothing. Each call is its own conversation (connectors/voice/ids.py): an identification never
outlives its call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.i18n import Catalogs
from bot.rendering import for_sms
from bot.support import load_support_line
from common.shared_state import RedisHandle, SharedState
from connectors.base.gate import gated
from connectors.base.redaction import phrase_translator, vault_redaction
from connectors.base.tasks import BackgroundTasks
from connectors.sms.conversations import ConversationIds
from connectors.sms.outbound import OutboundSender, TwilioRestTransport
from connectors.sms.store import open_sms_store
from connectors.twilio.signed_requests import (
    SIGNATURE_HEADER,
    TWIML_CONTENT_TYPE,
    FieldRules,
    FormParams,
    RequestRejectedError,
    read_signed_form,
    require_fields,
    signed_url,
)
from connectors.voice.call import ONE_MOMENT, CallInput, TurnResult, VoiceCallService
from connectors.voice.collector import CHANNEL_NAME, VoiceCollector, last_turn_facts
from connectors.voice.config import VoiceSettings, dialable
from connectors.voice.ids import CallerIds
from connectors.voice.pending import PendingStep
from connectors.voice.sealing import Sealer
from connectors.voice.state import CallPhase
from connectors.voice.store import CallState, CallStore, open_voice_store
from connectors.voice.twiml import Ending, TwimlOptions, VoiceReply, voice_twiml

logger = logging.getLogger(__name__)

PREFIX = f"/webhooks/{CHANNEL_NAME}"
CALL_FIELDS = FieldRules(("CallSid", "AccountSid", "From"), blank_ok=("From",))
STATUS_FIELDS = FieldRules(("CallSid", "AccountSid", "CallStatus"))
ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}
MAX_STEP = 10_000
HANG_UP = voice_twiml(VoiceReply((), Ending.HANGUP), TwimlOptions("sv", "", ""))
# How often a replica that did not start a step looks for its answer in the store.
STEP_POLL_SECONDS = 0.05


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def _step_of(request: Request) -> int:
    raw = request.args.get("step", "")
    if not raw.isdigit() or not 0 < int(raw) <= MAX_STEP:
        raise RequestRejectedError(400, "step must be a number from 1")
    return int(raw)


class TwilioVoiceInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioVoiceInput:
        return cls(VoiceSettings.from_credentials(credentials), shared=SharedState.from_env())

    def __init__(self, settings: VoiceSettings,
                 clock: Callable[[], dt.datetime] | None = None,
                 sender: OutboundSender | None = None,
                 shared: SharedState | None = None) -> None:
        self.settings = settings
        # Several replicas: call state and step answers in Redis (ASSISTANT_REDIS_URL), so
        # any replica can answer a call's next, retried or redirected request.
        shared = shared or SharedState()
        self.handle = RedisHandle(shared) if shared.enabled else None
        if not settings.enabled:
            logger.warning("twilio_voice: not configured (TWILIO_* unset); its webhooks "
                           "answer 503")
            return
        zone = ZoneInfo(settings.timezone)
        self.clock = clock or (lambda: dt.datetime.now(zone))
        self.translate = phrase_translator(Catalogs())
        self.support = load_support_line()
        self.store: CallStore = open_voice_store(
            settings.store_path, Sealer(settings.conversation_secret), self.handle)
        self.ids = CallerIds(settings.conversation_secret)
        self.tasks = BackgroundTasks()
        self.pending: dict[tuple[str, int], PendingStep] = {}
        self.sender = sender
        if sender is None and settings.sms_enabled:
            self.sender = OutboundSender(
                TwilioRestTransport(settings.account_sid, settings.auth_token,
                                    settings.sms_from_number, settings.api_base_url),
                open_sms_store(settings.sms_store_path, self.handle),
                ConversationIds(settings.sms_conversation_secret),
                settings.url("/webhooks/twilio_sms/status"))
        self.redact = vault_redaction(shared=shared)

    # ---- Twilio requests ----
    def _signed(self, request: Request, rules: FieldRules) -> FormParams:
        params = read_signed_form(
            body=request.body or b"", content_type=request.headers.get("content-type"),
            signature=request.headers.get(SIGNATURE_HEADER),
            url=signed_url(self.settings.public_base_url, request.path,
                           request.query_string),
            auth_token=self.settings.auth_token, max_body_bytes=self.settings.max_body_bytes,
            channel=CHANNEL_NAME)
        require_fields(params, rules)
        if params["AccountSid"] != self.settings.account_sid:
            raise RequestRejectedError(403, "not this account's call")
        return params

    def _twiml(self, reply: VoiceReply, language: str, step: int) -> str:
        path = "collect" if reply.ending is Ending.REDIRECT else "gather"
        return voice_twiml(reply, TwimlOptions(
            language=language, voice=self.settings.voice_for(language),
            action_url=self.settings.url(f"{PREFIX}/{path}?step={step}"),
            speech_timeout=self.settings.speech_timeout,
            gather_timeout=self.settings.gather_timeout))

    # ---- Rasa ----
    def _service(self, request: Request,
                 on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> VoiceCallService:
        async def turn(conversation_id: str, text: str,
                       metadata: Mapping[str, Any]) -> TurnResult:
            collector = VoiceCollector()
            await on_new_message(UserMessage(text, collector, conversation_id,
                                             input_channel=CHANNEL_NAME,
                                             metadata=dict(metadata)))
            texts = [str(m["text"]) for m in collector.messages if m.get("text")]
            buttons = [str(b.get("payload", "")) for m in collector.messages
                       for b in m.get("buttons") or []]
            facts = last_turn_facts(collector)
            if facts is None:  # no message came from our NLG: ask the tracker store
                return await self._turn_facts(request, conversation_id, texts, buttons)
            intent, language = facts
            return TurnResult(texts, buttons, intent, collector.utter_actions, language)

        async def send_sms(phone: str, body: str) -> bool:
            if self.sender is None:
                return False
            return await self.sender.send(phone, for_sms(body),
                                          purpose="voice-getting-started") is not None

        return VoiceCallService(
            turn=turn, translate=self.translate, redact=self.redact, support=self.support,
            transfer_number=self.settings.transfer_number or dialable(self.support.phone),
            clock=self.clock, max_reprompts=self.settings.max_reprompts,
            caller_hash=self.ids.caller_hash, send_sms=send_sms if self.sender else None)

    @staticmethod
    async def _turn_facts(request: Request, conversation_id: str, texts: list[str],
                          buttons: list[str]) -> TurnResult:
        """What the turn did, read back from the tracker store (slow: only when no message
        carried the NLG's turn facts)."""
        processor: Any = getattr(getattr(request.app.ctx, "agent", None), "processor", None)
        if processor is None:
            return TurnResult(texts, buttons)
        tracker = await processor.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return TurnResult(texts, buttons)
        utters: list[str] = []
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                break
            if isinstance(event, BotUttered):
                utters.append(str((event.metadata or {}).get("utter_action", "")))
        nlg: Any = getattr(processor, "nlg", None)
        language = str(nlg.language_of(tracker)) if hasattr(nlg, "language_of") else "sv"
        intent = (tracker.latest_message.intent or {}).get("name") \
            if tracker.latest_message else None
        return TurnResult(texts, buttons, intent, utters[::-1], language)

    @staticmethod
    async def _end_session(request: Request, conversation_id: str) -> None:
        """The call ended: its conversation's session ends too, so nothing of it (an
        identification) is left in a current session."""
        processor: Any = getattr(getattr(request.app.ctx, "agent", None), "processor", None)
        if processor is None:
            return
        async with processor.lock_store.lock(conversation_id):
            tracker = await processor.tracker_store.retrieve(conversation_id)
            if tracker is None:
                return
            for event in (ActionExecuted("action_session_start"), SessionStarted(),
                          ActionExecuted("action_listen")):
                tracker.update(event)
            await processor.tracker_store.save(tracker)

    # ---- steps ----
    async def _process(self, service: VoiceCallService, call: CallInput,
                       state: CallState | None, step: int, greeting: bool,
                       pending: PendingStep) -> None:
        try:
            twiml = await self._answer_step(service, call, state, step, greeting)
        except Exception as error:  # the call store failed: the waiting request answers 500
            pending.fail(error)
            raise
        pending.resolve(twiml)

    async def _answer_step(self, service: VoiceCallService, call: CallInput,
                           state: CallState | None, step: int, greeting: bool) -> str:
        if state is None:
            state = CallState(self.ids.conversation(call.call_sid))
        if state.mode == "closed":
            reply = VoiceReply((), Ending.HANGUP)
        else:
            try:
                reply = await (service.greet(call, state) if greeting
                               else service.answer(call, state))
            except Exception as error:  # never silence or a stack trace on the phone
                logger.error("voice %s step %d failed (%s)", call.call_sid, step,
                             type(error).__name__)
                reply = service.failed(state)
        await self.store.save(call.call_sid, state)
        twiml = self._twiml(reply, state.language, step + 1)
        await self.store.finish_step(call.call_sid, step, twiml)
        return twiml

    def _one_moment(self, key: tuple[str, int], language: str) -> str:
        logger.info("voice %s step %d: not ready, one moment", *key)
        return self._twiml(VoiceReply((self.translate(language, ONE_MOMENT),),
                                      Ending.REDIRECT), language, key[1])

    async def _wait(self, key: tuple[str, int], language: str) -> str:
        pending = self.pending.get(key)
        if pending is None:
            return await self._wait_elsewhere(key, language)
        twiml = await pending.wait(self.settings.answer_timeout)
        return twiml if twiml is not None else self._one_moment(key, language)

    async def _wait_elsewhere(self, key: tuple[str, int], language: str) -> str:
        """The step is processed by another replica: its answer will be in the store."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.answer_timeout
        while True:
            answer = await self.store.answer(*key)
            if answer.twiml is not None:
                return answer.twiml
            if not answer.known:  # never begun, or its process died before answering
                raise RequestRejectedError(404, "no such call step")
            if loop.time() >= deadline:
                return self._one_moment(key, language)
            await asyncio.sleep(STEP_POLL_SECONDS)

    async def _step(self, request: Request, on_new_message: Callable[[UserMessage],
                    Awaitable[Any]], kind: str) -> str:
        params = self._signed(request, CALL_FIELDS)
        step = 0 if kind == "incoming" else _step_of(request)
        call = CallInput(params["CallSid"], params.get("From", ""),
                         params.get("SpeechResult", ""), params.get("Digits", ""),
                         params.get("StirVerstat", ""))
        key = (call.call_sid, step)
        phase = await self.store.phase(call.call_sid)
        if phase is CallPhase.OVER:
            # Twilio sends nothing after a call's end: a replay, answered with nothing.
            logger.info("voice %s step %d: the call is over; hung up", *key)
            return HANG_UP
        if phase is CallPhase.NEW:
            if kind != "incoming":
                raise RequestRejectedError(404, "unknown call")
            await self.store.start_call(call.call_sid)
        state = await self.store.load(call.call_sid)
        language = state.language if state else "sv"
        if kind == "collect":
            # Maybe on another replica than the one processing the step: then it waits for
            # the stored answer (_wait_elsewhere).
            answer = await self.store.answer(call.call_sid, step)
            if not answer.known:
                raise RequestRejectedError(404, "no such call step")
            return answer.twiml or await self._wait(key, language)
        if kind == "gather" and state is None:
            raise RequestRejectedError(404, "unknown call")
        start = await self.store.begin_step(call.call_sid, step)
        if not start.first:
            logger.info("voice %s step %d: repeated request, answered once", *key)
            return start.twiml or await self._wait(key, language)
        pending = self.pending[key] = PendingStep()
        task = self.tasks.spawn(self._process(self._service(request, on_new_message), call,
                                              state, step, kind == "incoming", pending))
        task.add_done_callback(lambda _: self.pending.pop(key, None))
        return await self._wait(key, language)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint(f"{CHANNEL_NAME}_webhook", __name__)
        settings = self.settings
        on_new_message = gated(CHANNEL_NAME, on_new_message)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if settings.enabled else "not configured"})

        def route(kind: str) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse]]:
            async def handle(request: Request) -> HTTPResponse:
                if not settings.enabled:
                    return _error(503, "the phone channel is not configured")
                try:
                    twiml = await self._step(request, on_new_message, kind)
                except RequestRejectedError as rejected:
                    logger.info("twilio_voice %s rejected: %d %s", kind, rejected.status,
                                rejected.reason)
                    return _error(rejected.status, rejected.reason)
                return response.text(twiml, content_type=TWIML_CONTENT_TYPE)
            handle.__name__ = f"voice_{kind}"
            return handle

        async def status(request: Request) -> HTTPResponse:
            if not settings.enabled:
                return _error(503, "the phone channel is not configured")
            try:
                params = self._signed(request, STATUS_FIELDS)
            except RequestRejectedError as rejected:
                return _error(rejected.status, rejected.reason)
            call_sid = params["CallSid"]
            if params["CallStatus"] not in ENDED:
                return response.empty(status=204)
            if await self.store.end_call(call_sid):
                await self._end_session(request, self.ids.conversation(call_sid))
            return response.empty(status=204)

        async def close(*_: Any) -> None:
            if settings.enabled:
                await self.tasks.drain(10.0)
                if self.sender is not None:
                    await self.sender.close()
                if self.handle is not None:
                    await self.handle.close()

        blueprint.add_route(health, "/", methods=["GET"])
        for kind in ("incoming", "gather", "collect"):
            blueprint.add_route(route(kind), f"/{kind}", methods=["POST"],
                                name=f"voice_{kind}")
        blueprint.add_route(status, "/status", methods=["POST"])
        blueprint.listener(close, "after_server_stop")
        return blueprint
