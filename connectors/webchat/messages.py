"""The browser's events, checked and typed before anything acts on them.

Payloads follow Rasa's socket.io channel (``session_request`` {session_id},
``user_uttered`` {message, session_id, metadata}), so existing Rasa widgets work. Only the
metadata key ``language`` is taken from the browser; everything else in it is dropped, and
what Rasa learns about the person comes from the server's session binding alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.metadata import LANGUAGE
from connectors.webchat.sessions import MAX_AUTH_TOKEN_CHARS

LANGUAGE_KEY = LANGUAGE
MAX_METADATA_CHARS = 2048
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ErrorCode:
    BAD_REQUEST = "bad_request"
    MESSAGE_TOO_LONG = "message_too_long"
    RATE_LIMITED = "rate_limited"
    NO_SESSION = "no_session"
    WRONG_SESSION = "wrong_session"
    AUTH_FAILED = "auth_failed"
    AUTH_UNAVAILABLE = "auth_unavailable"
    SESSION_EXPIRED = "session_expired"  # the login's token expired on an open socket
    UNAVAILABLE = "unavailable"


class BadPayloadError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SessionRequest:
    session_id: str | None
    auth_token: str | None
    has_auth: bool  # an ``auth`` key was sent, even an empty one (log out)


@dataclass(frozen=True)
class UserUttered:
    text: str
    session_id: str | None
    language: str | None


def _auth_token(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("token")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_AUTH_TOKEN_CHARS:
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "auth must be a token string")
    return value


def auth_from_connect(auth: Any) -> str | None:
    """socket.io's CONNECT auth: {"token": "..."} (as Rasa's channel) or nothing."""
    if auth is None:
        return None
    if not isinstance(auth, Mapping):
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "auth must be an object")
    return _auth_token(auth.get("token"))


def _session_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "session_id must be a string")
    return value


def parse_session_request(data: Any) -> SessionRequest:
    if data is None:
        return SessionRequest(None, None, False)
    if not isinstance(data, Mapping):
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "session_request takes an object")
    return SessionRequest(_session_id(data.get("session_id")), _auth_token(data.get("auth")),
                          "auth" in data)


def _language(metadata: Any) -> str | None:
    if metadata is None or metadata == "":
        return None
    if isinstance(metadata, str):
        if len(metadata) > MAX_METADATA_CHARS:
            raise BadPayloadError(ErrorCode.BAD_REQUEST, "metadata is too large")
        try:
            metadata = json.loads(metadata)
        except ValueError:
            raise BadPayloadError(ErrorCode.BAD_REQUEST, "metadata is not JSON") from None
    if not isinstance(metadata, Mapping):
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "metadata must be an object")
    language = metadata.get(LANGUAGE_KEY)
    if language is None:
        return None
    match = _LANGUAGE.match(language) if isinstance(language, str) else None
    if match is None:
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "metadata.language must be a language "
                                                     "code such as sv or en")
    return match.group(1).lower()


def parse_user_uttered(data: Any, max_chars: int) -> UserUttered:
    if not isinstance(data, Mapping):
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "user_uttered takes an object")
    text = data.get("message")
    if not isinstance(text, str):
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "message must be a string")
    text = _CONTROL.sub("", text).strip()
    if not text:
        raise BadPayloadError(ErrorCode.BAD_REQUEST, "message is empty")
    if len(text) > max_chars:
        raise BadPayloadError(ErrorCode.MESSAGE_TOO_LONG,
                              f"message is longer than {max_chars} characters")
    return UserUttered(text, _session_id(data.get("session_id")),
                       _language(data.get("metadata")))
