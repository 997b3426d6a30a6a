"""SMS conversations over Twilio Messaging (docs/sms.md). The channel class is
``connectors.sms.TwilioSmsInput`` in credentials.yml."""

from connectors.sms.channel import TwilioSmsInput

__all__ = ["TwilioSmsInput"]
