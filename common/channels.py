"""The kinds of channel a message comes in on, as both processes name them: the NLG shapes an
answer by it and the actions send it to the case backend (``X-Channel``)."""

from __future__ import annotations

from enum import Enum


class ChannelKind(str, Enum):
    WEB = "web"
    SMS = "sms"
    VOICE = "voice"


# Input/output channel names (Rasa's and ours) that are not web chats.
_CHANNEL_KINDS = {
    "twilio": ChannelKind.SMS,
    "sms": ChannelKind.SMS,
    "twilio_sms": ChannelKind.SMS,
    "twilio_voice": ChannelKind.VOICE,
    "voice": ChannelKind.VOICE,
}


def channel_kind(output_channel: str | None) -> ChannelKind:
    return _CHANNEL_KINDS.get((output_channel or "").lower(), ChannelKind.WEB)
