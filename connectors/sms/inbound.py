"""An incoming SMS as Twilio posts it, checked field by field (after the signature)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.sms.config import E164
from connectors.twilio.signed_requests import FieldRules, RequestRejectedError, require_fields

_MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
INBOUND_FIELDS = FieldRules(required=("MessageSid", "AccountSid", "From", "To", "Body"),
                            blank_ok=("Body",))
STATUS_FIELDS = FieldRules(required=("MessageSid", "AccountSid", "MessageStatus"))
MAX_MEDIA = 10  # Twilio's own limit per message


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str  # E.164; kept in memory only, for a late answer through the REST API
    body: str
    num_media: int

    @property
    def sender_can_receive(self) -> bool:
        """Alphanumeric sender ids and short codes cannot be answered."""
        return bool(E164.match(self.sender))


def _check_account(params: Mapping[str, str], account_sid: str) -> None:
    if params["AccountSid"] != account_sid:
        raise RequestRejectedError(403, "the request is for another Twilio account")


def parse_inbound(params: Mapping[str, str], account_sid: str) -> InboundSms:
    require_fields(params, INBOUND_FIELDS)
    if not _MESSAGE_SID.match(params["MessageSid"]):
        raise RequestRejectedError(400, "MessageSid is not a Twilio message SID")
    _check_account(params, account_sid)
    raw_media = params.get("NumMedia", "0").strip() or "0"
    if not raw_media.isdigit() or int(raw_media) > MAX_MEDIA:
        raise RequestRejectedError(400, f"NumMedia must be a whole number up to {MAX_MEDIA}")
    return InboundSms(message_sid=params["MessageSid"], sender=params["From"].strip(),
                      body=params["Body"], num_media=int(raw_media))


@dataclass(frozen=True)
class StatusCallback:
    message_sid: str
    status: str
    error_code: str | None


def parse_status(params: Mapping[str, str], account_sid: str) -> StatusCallback:
    require_fields(params, STATUS_FIELDS)
    if not _MESSAGE_SID.match(params["MessageSid"]):
        raise RequestRejectedError(400, "MessageSid is not a Twilio message SID")
    _check_account(params, account_sid)
    error_code = (params.get("ErrorCode") or "").strip() or None
    return StatusCallback(params["MessageSid"], params["MessageStatus"].strip().lower(),
                          error_code)
