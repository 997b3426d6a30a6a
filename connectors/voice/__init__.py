"""The phone IVR over Twilio Voice (docs/voice.md). The channel class is
``connectors.voice.TwilioVoiceInput`` in credentials.yml."""

from connectors.voice.channel import TwilioVoiceInput

__all__ = ["TwilioVoiceInput"]
