"""What every Twilio webhook shares: the signed form it receives and the TwiML it answers.

Pure functions, no Sanic: a channel hands in the raw body, the content type, the
``X-Twilio-Signature`` header and the path it was called on, and gets the parameters back or a
:class:`RequestRejectedError` carrying the 4xx to answer.

- The signature is checked against the URL *Twilio* called: the configured public base URL
  (the address behind the proxy or tunnel) plus the request's path and query, never the
  address this process sees.
- The form is parsed from the raw body keeping blank fields: Twilio signs ``Body=`` as
  ``Body`` + ``""``, so a parser that drops blanks (Sanic's) breaks the signature of every
  empty message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.metrics import OTHER_CHANNEL, TWILIO_REJECTED, channel_label

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"
# Twilio's own requests are a few kB (a 1600-character body percent-encoded is under 20 kB).
DEFAULT_MAX_BODY_BYTES = 64 * 1024


class RequestRejectedError(Exception):
    """A webhook request that is not processed, with the status and reason to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FormParams(Mapping[str, str]):
    """Form fields in body order, blanks kept; ``getall`` is what RequestValidator reads."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = tuple(pairs)
        self._first: dict[str, str] = {}
        for key, value in self._pairs:
            self._first.setdefault(key, value)

    def __getitem__(self, key: str) -> str:
        return self._first[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def getall(self, key: str) -> list[str]:
        return [value for name, value in self._pairs if name == key]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._pairs


def parse_form(body: bytes) -> FormParams:
    """Parses an ``application/x-www-form-urlencoded`` body, keeping blank values."""
    if not body:
        return FormParams(())
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                          encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestRejectedError(400, "the body is not a valid form") from error
    return FormParams(pairs)


def signed_url(public_base_url: str, path: str, query_string: str = "") -> str:
    """The URL Twilio requested: public base URL (scheme, host, any proxy prefix) + path."""
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def signature_is_valid(auth_token: str, url: str, params: FormParams,
                       signature: str | None) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def read_signed_form(*, body: bytes, content_type: str | None, signature: str | None,
                     url: str, auth_token: str,
                     max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                     channel: str = OTHER_CHANNEL) -> FormParams:
    """The parameters of a genuine Twilio request, or RequestRejectedError (413, 415, 400, 403).

    Each refusal is counted in ``assistant_twilio_rejected_requests_total{channel, reason}``."""
    if len(body) > max_body_bytes:
        _rejected(channel, "too_large")
        raise RequestRejectedError(413, "the request body is too large")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        _rejected(channel, "media_type")
        raise RequestRejectedError(415, f"expected {FORM_CONTENT_TYPE}")
    params = parse_form(body)
    if not signature_is_valid(auth_token, url, params, signature):
        _rejected(channel, "signature")
        raise RequestRejectedError(403, "invalid Twilio signature")
    return params


def _rejected(channel: str, reason: str) -> None:
    TWILIO_REJECTED.labels(channel_label(channel), reason).inc()


@dataclass(frozen=True)
class FieldRules:
    """Required fields of one kind of Twilio request; blank values are allowed in ``blank_ok``."""

    required: tuple[str, ...]
    blank_ok: tuple[str, ...] = ()


def require_fields(params: Mapping[str, str], rules: FieldRules) -> None:
    missing = [name for name in rules.required if name not in params]
    if missing:
        raise RequestRejectedError(400, f"missing field(s): {', '.join(missing)}")
    blank = [name for name in rules.required
             if name not in rules.blank_ok and not params[name].strip()]
    if blank:
        raise RequestRejectedError(400, f"blank field(s): {', '.join(blank)}")


def messaging_twiml(messages: Sequence[str]) -> str:
    """A TwiML ``<Response>`` with one ``<Message>`` per text; none is an empty response."""
    response = MessagingResponse()
    for text in messages:
        response.message(text)
    return str(response)


def empty_twiml() -> str:
    return messaging_twiml(())
