"""What the web chat and SMS channels do around a turn while the agent desk is involved.

Before a message goes to Rasa the channel asks ``before_turn``, one read of the handoff
store (common/handoff_store.py):

- a person has the conversation: the text, redacted as the gate redacts it, goes to the
  desk (POST /v1/handoffs/{id}/messages, a fresh message id); the channel still hands the
  message to Rasa, which records it and, paused, answers nothing;
- a call-back offer is open: the message belongs to that dialogue (connectors/base/
  callbacks.py) and never reaches Rasa;
- neither: None, the turn goes on as always.

``after_turn`` (SMS only) keeps the sender's number, encrypted, once a turn opened a
handoff: the agent's replies are sent to it (the SMS conversation id is an HMAC of it).
Without a desk configured the channels make no relay at all (``relay_from_env``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.i18n import N_
from common.agentdesk_client import (
    DeskClient,
    DeskRefusedError,
    DeskUnavailableError,
    desk_from_env,
)
from common.handoff_store import HandoffStore, open_handoff_store
from common.log_ids import fingerprint
from common.personal_number import redact
from common.shared_state import RedisHandle
from connectors.base.callbacks import CallbackDialogue, Translate

logger = logging.getLogger(__name__)

NOT_DELIVERED = N_("Ditt meddelande kom inte fram till handläggaren. Försök igen om en stund, "
                   "eller ring kundcenter på {support_phone}.")
# The agent's messages are marked as a person's: the widget shows the label, SMS prefixes it.
AGENT_LABEL = N_("Handläggare")
RESUMED = N_("Nu svarar den digitala assistenten igen.")


@dataclass(frozen=True)
class Intercepted:
    replies: list[str]  # to send to the citizen now (may be empty)
    to_rasa: bool  # hand the message to Rasa too (recorded while paused)
    forwarded: bool = False  # it went to a person


class HandoffRelay:
    def __init__(self, desk: DeskClient, store: HandoffStore, translate: Translate,
                 support_phone: str,
                 new_message_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.desk = desk
        self.store = store
        self._translate = translate
        self._support_phone = support_phone
        self._new_message_id = new_message_id
        self._callbacks = CallbackDialogue(desk, store, translate, support_phone)

    def phrase(self, language: str, source: str) -> str:
        return self._translate(language, source).replace("{support_phone}",
                                                         self._support_phone)

    async def before_turn(self, conversation_id: str, text: str,
                          own_phone: str | None = None) -> Intercepted | None:
        record, offer = await self.store.status(conversation_id)
        if record is not None:
            try:
                await self.desk.post_message(record.handoff_id, redact(text).text,
                                             self._new_message_id())
            except (DeskRefusedError, DeskUnavailableError) as error:
                logger.warning("handoff %s: message not forwarded (%s)",
                               fingerprint(conversation_id), error)
                return Intercepted([self.phrase(record.language, NOT_DELIVERED)], True)
            return Intercepted([], True, forwarded=True)
        if offer is not None:
            replies = await self._callbacks.step(offer, text, own_phone)
            if replies is not None:
                return Intercepted(replies, False)
        return None

    async def after_turn(self, conversation_id: str, own_phone: str) -> None:
        record = await self.store.active(conversation_id)
        if record is not None:
            await self.store.set_contact(conversation_id, own_phone)


def relay_from_env(translate: Translate, support_phone: str,
                   environ: Mapping[str, str] | None = None,
                   handle: RedisHandle | None = None) -> HandoffRelay | None:
    """A relay when ``AGENTDESK_URL`` is set; None keeps the channel as it was."""
    desk = desk_from_env(environ)
    if desk is None:
        return None
    return HandoffRelay(desk, open_handoff_store(environ, handle), translate, support_phone)
