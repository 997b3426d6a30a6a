"""The one gate through which every channel hands a message to Rasa.

``gated(channel, on_new_message)`` wraps Rasa's ``on_new_message`` for one declared channel
(common/channels.py; an undeclared name is refused when the channel is built, so a new
connector cannot silently count as some other kind). Each message then passes, in order:

1. the channel check: the message says it came in on this channel;
2. the conversation check: the id is this channel's own (its prefix), and a channel without
   a prefix (REST) may not address another channel's conversation: nobody can write into a
   web chat, SMS or phone conversation except through that channel;
3. the metadata check: only the keys of ``MessageMetadata``, as strings;
4. the last line of the personnummer rule: a valid number still in the text (a channel's
   own redaction missed it) is replaced here too, and never reaches Rasa;
5. turn metrics (connectors/base/turn_metrics.py).

A refused message raises ``GateRefusedError``, with a reason a channel can show; nothing of it
reaches Rasa. What a *client* may put in the metadata is narrower than what a channel may:
``client_metadata`` keeps only those keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage

from common.channels import declared_channel, reserved_prefix
from common.metadata import LANGUAGE, TEST_PERSON_REF, MessageMetadata
from common.personal_number import redact
from connectors.base.turn_metrics import OnNewMessage, measured

logger = logging.getLogger(__name__)

_CHANNEL_KEYS = frozenset(MessageMetadata.__annotations__)
# What a client may say about its own message. ``test_person_ref`` is honoured only by an
# action server started with the test identity on (never in production mode).
CLIENT_KEYS = frozenset({LANGUAGE, TEST_PERSON_REF})
MAX_VALUE_CHARS = 200


class GateRefusedError(ValueError):
    """The message may not reach Rasa; the reason names what was wrong, never its content."""


def client_metadata(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """The part of a client's metadata a client may set: short strings of ``CLIENT_KEYS``."""
    return {key: value for key, value in (raw or {}).items()
            if key in CLIENT_KEYS and isinstance(value, str) and len(value) <= MAX_VALUE_CHARS}


def admit(channel_name: str, message: UserMessage) -> None:
    """Checks 1 to 4 on one message (raises ``GateRefusedError``); for a channel that must know
    before it does anything else with the message, such as replaying stored replies."""
    channel = declared_channel(channel_name)
    if message.input_channel != channel.name:
        raise GateRefusedError(f"message of channel {message.input_channel!r} handed over "
                          f"by {channel.name!r}")
    owner = reserved_prefix(str(message.sender_id))
    if (owner is not None and owner.name != channel.name) or \
            (channel.conversation_prefix and owner is None):
        raise GateRefusedError("the conversation belongs to another channel")
    metadata = message.metadata or {}
    unknown = sorted(key for key in metadata if key not in _CHANNEL_KEYS)
    if unknown or not all(isinstance(value, str) for value in metadata.values()):
        raise GateRefusedError(f"metadata keys must be {sorted(_CHANNEL_KEYS)}, as strings")
    if message.text:
        redaction = redact(message.text)
        if redaction.valid:
            logger.error("%s: a personnummer passed the channel's redaction", channel.name)
            message.text = redaction.text


def gated(channel_name: str, on_new_message: OnNewMessage) -> OnNewMessage:
    declared_channel(channel_name)  # refused when the channel is built, not at its first turn
    handle = measured(channel_name, on_new_message)

    async def hand_over(message: UserMessage) -> Any:
        admit(channel_name, message)
        return await handle(message)
    return hand_over
