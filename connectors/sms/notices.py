"""Proactive notices: the case backend asks the assistant to tell a person by SMS that
something happened in their case.

Contract (``POST /webhooks/twilio_sms/notices``, ``Authorization: Bearer <service token>``)::

    {"phone": "+46701234567", "event": "payment_scheduled" | "complement_requested",
     "protected_identity": false, "sms_notifications": true,
     "idempotency_key": "case-123:payment:2026-12-07", "language": "sv"}   # language optional

→ 202 ``{"status": "accepted" | "duplicate" | "sms_notifications_off" | "opted_out"}``; the
message itself is sent afterwards. A person with protected personal data only ever gets "there
is news on Mina sidor"; a person who chose no SMS notices, or answered STOPP, gets nothing.
A repeated idempotency key sends once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.i18n import N_
from bot.locales import SOURCE
from connectors.base.tasks import BackgroundTasks
from connectors.sms.config import E164
from connectors.sms.conversations import ConversationIds
from connectors.sms.outbound import OutboundSender
from connectors.sms.state import SmsState
from connectors.sms.text import shape_phrase
from connectors.twilio.signed_requests import RequestRejectedError

logger = logging.getLogger(__name__)

EVENT_TEXTS = {
    "payment_scheduled": N_("Försäkringskassan: En utbetalning till dig är på väg. "
                            "Datum och belopp ser du på Mina sidor på forsakringskassan.se."),
    "complement_requested": N_("Försäkringskassan: Vi behöver fler uppgifter i ditt ärende. "
                               "Logga in på Mina sidor på forsakringskassan.se för att se "
                               "vad som saknas."),
}
PROTECTED_TEXT = N_("Försäkringskassan: Det finns nyheter för dig på Mina sidor. "
                    "Logga in på forsakringskassan.se för att läsa dem.")
OPT_OUT_HINT = N_("Svara STOPP om du inte vill få fler sms.")

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_FIELDS = {"phone", "event", "protected_identity", "sms_notifications", "idempotency_key",
           "language"}

Translate = Callable[[str, str], str]


class NoticeOutcome(str, Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    NOTIFICATIONS_OFF = "sms_notifications_off"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class NoticeRequest:
    phone: str
    event: str
    protected_identity: bool
    sms_notifications: bool
    idempotency_key: str
    language: str


def parse_notice(payload: Any, languages: frozenset[str]) -> NoticeRequest:
    """The request body, checked strictly; RequestRejectedError(400) says what is wrong."""
    if not isinstance(payload, Mapping):
        raise RequestRejectedError(400, "the body must be a JSON object")
    unknown = sorted(set(payload) - _FIELDS)
    if unknown:
        raise RequestRejectedError(400, f"unknown field(s): {', '.join(unknown)}")
    phone = payload.get("phone")
    if not isinstance(phone, str) or not E164.match(phone):
        raise RequestRejectedError(400, "phone must be an E.164 number such as +46701234567")
    event = payload.get("event")
    if event not in EVENT_TEXTS:
        raise RequestRejectedError(400, f"event must be one of {', '.join(sorted(EVENT_TEXTS))}")
    flags = {}
    for name in ("protected_identity", "sms_notifications"):
        value = payload.get(name)
        if not isinstance(value, bool):
            raise RequestRejectedError(400, f"{name} must be true or false")
        flags[name] = value
    key = payload.get("idempotency_key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise RequestRejectedError(400, "idempotency_key must be 1-128 of A-Z a-z 0-9 . _ : -")
    language = payload.get("language", SOURCE.code)
    if language not in languages:
        raise RequestRejectedError(400, f"language must be one of {', '.join(sorted(languages))}")
    return NoticeRequest(phone=phone, event=str(event), idempotency_key=key,
                         language=str(language), **flags)


def notice_text(request: NoticeRequest, translate: Translate, max_segments: int) -> str:
    """What the person reads; for protected identities only that there is news."""
    source = PROTECTED_TEXT if request.protected_identity else EVENT_TEXTS[request.event]
    text = f"{translate(request.language, source)} {translate(request.language, OPT_OUT_HINT)}"
    return shape_phrase(text, max_segments)


class NoticeService:
    def __init__(self, sender: OutboundSender, store: SmsState, ids: ConversationIds,
                 tasks: BackgroundTasks, translate: Translate, max_segments: int) -> None:
        self._sender = sender
        self._store = store
        self._ids = ids
        self._tasks = tasks
        self._translate = translate
        self._max_segments = max_segments

    async def submit(self, request: NoticeRequest) -> NoticeOutcome:
        """Decides now (so the backend learns the outcome), sends in the background."""
        if not request.sms_notifications:
            return NoticeOutcome.NOTIFICATIONS_OFF
        if await self._store.is_opted_out(self._ids.of(request.phone)):
            return NoticeOutcome.OPTED_OUT
        if not await self._store.claim_notice(request.idempotency_key):
            return NoticeOutcome.DUPLICATE
        text = notice_text(request, self._translate, self._max_segments)
        self._tasks.spawn(self._deliver(request, text))
        return NoticeOutcome.ACCEPTED

    async def _deliver(self, request: NoticeRequest, text: str) -> None:
        sid = None
        try:
            sid = await self._sender.send(request.phone, text, purpose=f"notice:{request.event}")
        finally:
            await self._store.finish_notice(request.idempotency_key, sent=sid is not None)
