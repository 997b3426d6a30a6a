"""The channels this assistant serves, declared once for both processes.

Access rules hang on the *input* channel, the name a connector registers with Rasa (the
action server sees it as the tracker's latest input channel; no client can choose it). Only
the four declared channels exist: a message from any other (Rasa's own ``socketio``,
``cmdline``, a connector added without a declaration) has no kind, and the actions refuse it
every personal answer (fail closed). Rendering hangs on the *output* channel and only shapes
text, so an unknown output channel is rendered as the web chat renders.

Each channel's conversation ids carry its prefix, so that one channel can refuse an id that
belongs to another (the REST channel must never address a web chat, SMS or phone conversation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ChannelKind(str, Enum):
    WEB = "web"
    SMS = "sms"
    VOICE = "voice"
    # Rasa's REST contract: trusted integrations, tests and `make chat`; not public.
    REST = "rest"


@dataclass(frozen=True)
class DeclaredChannel:
    name: str  # the input channel name the connector registers with Rasa
    kind: ChannelKind
    conversation_prefix: str  # every conversation id of this channel starts with it


DECLARED_CHANNELS: tuple[DeclaredChannel, ...] = (
    DeclaredChannel("webchat", ChannelKind.WEB, "web-"),
    DeclaredChannel("twilio_sms", ChannelKind.SMS, "sms-"),
    DeclaredChannel("twilio_voice", ChannelKind.VOICE, "voice-"),
    DeclaredChannel("rest", ChannelKind.REST, ""),
)
_BY_NAME = {channel.name: channel for channel in DECLARED_CHANNELS}

# Output channel names (Rasa's and ours) that are not rendered as the web chat renders.
_RENDERING_KINDS = {
    "twilio": ChannelKind.SMS,
    "sms": ChannelKind.SMS,
    "twilio_sms": ChannelKind.SMS,
    "twilio_voice": ChannelKind.VOICE,
    "voice": ChannelKind.VOICE,
}


class UndeclaredChannelError(ValueError):
    """A connector handed a message to Rasa under a name no channel declared."""


def declared(input_channel: str | None) -> DeclaredChannel | None:
    return _BY_NAME.get(input_channel or "")


def declared_channel(input_channel: str) -> DeclaredChannel:
    channel = declared(input_channel)
    if channel is None:
        raise UndeclaredChannelError(f"channel {input_channel!r} is not declared in "
                                     "common/channels.py")
    return channel


def input_kind(input_channel: str | None) -> ChannelKind | None:
    """The kind of the channel a message came in on; None for an undeclared channel."""
    channel = declared(input_channel)
    return None if channel is None else channel.kind


def reserved_prefix(conversation_id: str) -> DeclaredChannel | None:
    """The channel whose own conversation ids look like this one, if any."""
    lowered = conversation_id.strip().lower()
    for channel in DECLARED_CHANNELS:
        if channel.conversation_prefix and lowered.startswith(channel.conversation_prefix):
            return channel
    return None


def channel_kind(output_channel: str | None) -> ChannelKind:
    """How an answer is shaped for an output channel (SMS text, speech, or the web's)."""
    return _RENDERING_KINDS.get((output_channel or "").lower(), ChannelKind.WEB)
