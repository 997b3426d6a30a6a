"""One incoming SMS, start to answer: exactly once, in order, keywords, odd input, numbered
choices, Rasa, and one shaped reply. No Sanic here; the channel hands in a checked message.

The answer goes back in the webhook's TwiML when it is ready within ``reply_timeout`` (Twilio
waits 15 s); past that the webhook answers empty and the answer follows through the REST API,
still in order, so nothing that reached the assistant is lost.

A personal answer (a turn that said a response of the personal actions,
connectors/base/personal_responses.py) never goes into the TwiML: it is sent through the REST
API to the number the conversation belongs to, and the webhook answers empty. Twilio signs no
timestamp, so a captured webhook replayed once its MessageSid is forgotten is a new turn;
whoever replays it gets nothing personal back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.i18n import N_
from common.log_ids import fingerprint
from common.personal_number import redact
from common.shared_state import KeyLocks
from connectors.base.handoff_relay import HandoffRelay, Intercepted
from connectors.base.personal_responses import said_personal
from connectors.base.tasks import BackgroundTasks
from connectors.sms.conversations import ConversationIds, ConversationLocks
from connectors.sms.inbound import InboundSms
from connectors.sms.keywords import REPLIES, Keyword, KeywordKind, choice_number, keyword_of
from connectors.sms.outbound import OutboundSender
from connectors.sms.state import Choice, SmsState, TurnStart
from connectors.sms.text import READ_MORE, compose_reply, shape_phrase

logger = logging.getLogger(__name__)

CHANNEL_NAME = "twilio_sms"

MEDIA_ONLY = N_("Jag kan tyvärr inte läsa bilder eller filer i sms. Skriv din fråga som text. "
                "Bilagor till ett ärende skickar du på Mina sidor.")
EMPTY_MESSAGE = N_("Ditt sms var tomt. Skriv din fråga, så svarar jag.")
TOO_LONG = N_("Ditt sms är för långt för mig. Skriv en kortare fråga, så svarar jag.")
FAILED = N_("Förlåt, något gick fel hos mig. Försök igen om en stund eller ring "
            "{support_phone}.")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
LanguageOf = Callable[[str], Awaitable[str]]
Translate = Callable[[str, str], str]
# Text → (text without personnummer, metadata to add): the channel's hand-over to
# identification (common.identity_vault) is injected; by default numbers are only removed.
Redact = Callable[[str], Awaitable[tuple[str, dict[str, Any]]]]


async def remove_personal_numbers(text: str) -> tuple[str, dict[str, Any]]:
    return redact(text).text, {}


# Responses after which the turn's answer goes on in another SMS.
SEPARATE_SMS_AFTER = frozenset({"utter_open_bankid_link"})


class SmsCollector(CollectingOutputChannel):
    """Collects the turn's messages; its name makes the NLG render them for SMS. The
    response names are kept too (Rasa's collector drops them): they say whether the turn
    was personal."""

    def __init__(self) -> None:
        super().__init__()
        self.utter_actions: list[str] = []
        self._ends: list[int] = []  # after each response: how many messages there were

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.utter_actions.append(str(message.get("utter_action") or ""))
        await super().send_response(recipient_id, message)
        self._ends.append(len(self.messages))

    def sms_groups(self) -> list[list[dict[str, Any]]]:
        """The turn's messages as the SMS they are sent in: the BankID link ends an SMS of its
        own (the person taps it before anything else), the rest is one SMS."""
        groups: list[list[dict[str, Any]]] = []
        start = 0
        for name, end in zip(self.utter_actions, self._ends, strict=True):
            if name in SEPARATE_SMS_AFTER and end > start:
                groups.append(self.messages[start:end])
                start = end
        if start < len(self.messages):
            groups.append(self.messages[start:])
        return groups


@dataclass(frozen=True)
class SmsLimits:
    reply_timeout: float = 10.0
    max_body_chars: int = 1600
    max_segments: int = 3
    choices_ttl: float = 3600.0


@dataclass
class _Turn:
    answer_later: bool = False


@dataclass(frozen=True)
class _Answer:
    replies: list[str] = field(default_factory=list)
    personal: bool = False  # for the conversation's own number only: sent by REST


def resolve_choice(text: str, choices: Sequence[Choice]) -> str:
    """A reply "1" picks the first numbered choice offered in this conversation."""
    number = choice_number(text)
    if number is not None and 1 <= number <= len(choices):
        return choices[number - 1].payload
    return text


class SmsConversationService:
    def __init__(self, *, store: SmsState, ids: ConversationIds, sender: OutboundSender,
                 tasks: BackgroundTasks, translate: Translate, support_phone: str,
                 limits: SmsLimits, redact: Redact = remove_personal_numbers,
                 locks: KeyLocks | None = None,
                 personal_responses: frozenset[str] = frozenset(),
                 handoffs: HandoffRelay | None = None) -> None:
        self._store = store
        # The agent desk: forwarding while a person has the conversation, call-backs.
        self._handoffs = handoffs
        self._ids = ids
        self._sender = sender
        self._tasks = tasks
        self._translate = translate
        self._support_phone = support_phone
        self._limits = limits
        self._redact = redact
        self._personal = personal_responses
        # One turn at a time per sender: in this process, or across replicas (RedisLocks).
        self._locks: KeyLocks = locks or ConversationLocks()

    async def receive(self, inbound: InboundSms, on_new_message: OnNewMessage,
                      metadata: Mapping[str, Any], language_of: LanguageOf) -> list[str]:
        """The texts to answer in the webhook's TwiML (none: empty response)."""
        turn = _Turn()
        # Started at once, so turns queue on the conversation's lock in arrival order.
        task = self._tasks.spawn(self._process(inbound, on_new_message, metadata,
                                               language_of, turn))
        try:
            replies: list[str] = await asyncio.wait_for(asyncio.shield(task),
                                                        self._limits.reply_timeout)
            return replies
        except asyncio.TimeoutError:
            if task.done() and not task.cancelled() and task.exception() is None:
                return list(task.result())
            turn.answer_later = True
            logger.warning("sms %s: answer not ready in %.1f s, it follows by REST",
                           inbound.message_sid, self._limits.reply_timeout)
            return []
        except asyncio.CancelledError:
            # Twilio hung up: the turn goes on and its answer follows by REST.
            turn.answer_later = True
            raise

    async def _process(self, inbound: InboundSms, on_new_message: OnNewMessage,
                       metadata: Mapping[str, Any], language_of: LanguageOf,
                       turn: _Turn) -> list[str]:
        conversation_id = self._ids.of(inbound.sender)
        async with self._locks.hold(conversation_id):
            start = await self._store.begin_turn(inbound.message_sid, conversation_id,
                                                 self._limits.choices_ttl)
            if not start.first_delivery:
                logger.info("sms %s: repeated delivery, already handled", inbound.message_sid)
                return []
            if not inbound.sender_can_receive:
                logger.info("sms %s: the sender cannot receive answers; not handled",
                            inbound.message_sid)
                return []
            answer = await self._answer(inbound, start, conversation_id, on_new_message,
                                        metadata, language_of)
            if answer.personal:
                # Only to the conversation's own number; the webhook's TwiML stays empty.
                for reply in answer.replies:
                    await self._sender.send(inbound.sender, reply, purpose="personal-answer")
                return []
            if turn.answer_later:
                for reply in answer.replies:
                    await self._sender.send(inbound.sender, reply, purpose="late-answer")
            return answer.replies

    async def _answer(self, inbound: InboundSms, start: TurnStart, conversation_id: str,
                      on_new_message: OnNewMessage, metadata: Mapping[str, Any],
                      language_of: LanguageOf) -> _Answer:
        text = inbound.body.strip()
        keyword = keyword_of(text)
        if keyword is not None:
            return _Answer([await self._keyword(keyword, conversation_id)])
        if start.opted_out:
            # STOPP means no more messages from us until STARTA; nothing reaches Rasa.
            logger.info("sms %s: sender opted out; not answered", inbound.message_sid)
            return _Answer()
        if not text:
            source = MEDIA_ONLY if inbound.num_media else EMPTY_MESSAGE
            return _Answer([self._phrase(source, await language_of(conversation_id))])
        if len(text) > self._limits.max_body_chars:
            return _Answer([self._phrase(TOO_LONG, await language_of(conversation_id))])
        intercepted = await self._intercept(conversation_id, text, inbound.sender)
        if intercepted is not None and not intercepted.to_rasa:
            return _Answer([self._shape(reply) for reply in intercepted.replies])
        if intercepted is None:  # "1" to a person is "1", not a numbered choice
            text = resolve_choice(text, start.choices)
        collector = SmsCollector()
        try:
            # A personnummer never reaches Rasa (DESIGN section 6).
            text, identity = await self._redact(text)
            message = UserMessage(text, collector, conversation_id, input_channel=CHANNEL_NAME,
                                  metadata={**metadata, **identity},
                                  message_id=inbound.message_sid)
            await on_new_message(message)
        except Exception as error:
            logger.error("sms %s: handling failed (%s)", inbound.message_sid,
                         type(error).__name__)
            return _Answer([self._phrase(FAILED, await language_of(conversation_id))])
        if intercepted is not None:  # paused: Rasa recorded the message and said nothing
            return _Answer([self._shape(reply) for reply in intercepted.replies])
        if self._handoffs is not None:
            await self._handoffs.after_turn(conversation_id, inbound.sender)
        bodies: list[str] = []
        choices: list[Choice] = []
        for group in collector.sms_groups():
            reply = compose_reply(group, self._limits.max_segments, "")
            if reply.summarised:
                read_more = self._translate(await language_of(conversation_id), READ_MORE)
                reply = compose_reply(group, self._limits.max_segments, read_more)
            if reply.body:
                bodies.append(reply.body)
            choices = list(reply.choices)  # only the last SMS's choices can be answered
        if choices or start.choices:  # unchanged "none on offer" costs no write
            await self._store.set_choices(conversation_id, choices)
        return _Answer(bodies, said_personal(collector.utter_actions, self._personal))

    async def _intercept(self, conversation_id: str, text: str,
                         sender: str) -> Intercepted | None:
        if self._handoffs is None:
            return None
        # Redacted here: a personnummer goes neither to the desk nor into the vault for it.
        return await self._handoffs.before_turn(conversation_id, redact(text).text, sender)

    def _shape(self, text: str) -> str:
        return shape_phrase(text, self._limits.max_segments)

    async def _keyword(self, keyword: Keyword, conversation_id: str) -> str:
        if keyword.kind is KeywordKind.STOP:
            await self._store.opt_out(conversation_id, keyword.word)
        elif keyword.kind is KeywordKind.START:
            await self._store.opt_in(conversation_id)
        logger.info("sms keyword %s in %s", keyword.kind.value, fingerprint(conversation_id))
        return self._phrase(REPLIES[keyword.kind], keyword.language)

    def _phrase(self, source: str, language: str) -> str:
        text = self._translate(language, source)
        if "{support_phone}" in text:
            text = text.replace("{support_phone}", self._support_phone)
        return shape_phrase(text, self._limits.max_segments)
