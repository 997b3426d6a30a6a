"""The SMS channel's configuration: the ``connectors.sms.TwilioSmsInput`` block of
``credentials.yml``, validated once when the channel is built.

Values may name environment variables, ``"${TWILIO_AUTH_TOKEN}"``. Quote them: Rasa expands
unquoted ``${...}`` itself and stops the server when one is unset, while a quoted one reaches
us, so an unset variable is simply "not configured". With none of the required values set the
channel is *off* (its webhooks answer 503), which keeps `make run` working on a machine without
a Twilio account; with only some set it refuses to start and says which are missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from common.production_mode import refuse_in_production
from common.service_credentials import NOTICES_TOKEN_ENV
from connectors.local_twilio.account import is_local
from connectors.twilio.signed_requests import DEFAULT_MAX_BODY_BYTES

TWILIO_API_BASE_URL = "https://api.twilio.com"
REQUIRED = ("account_sid", "auth_token", "public_base_url", "from_number",
            "conversation_secret")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_KNOWN = {*REQUIRED, "store_path", "api_base_url", "test_identity_header", "reply_timeout",
          "max_body_chars", "max_segments", "choices_ttl", "send_attempts"}


class SmsConfigError(ValueError):
    """The SMS channel's configuration cannot be used."""


def expand_env(value: Any, environ: Mapping[str, str]) -> Any:
    """Replaces ``${NAME}`` in a string by the variable's value; unset is empty."""
    if not isinstance(value, str):
        return value
    return _ENV_REF.sub(lambda match: environ.get(match.group(1), ""), value).strip()


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0", ""}:
        return False
    raise SmsConfigError(f"twilio_sms: {name} must be true or false, not {value!r}")


def number_setting(value: Any, name: str, low: float, high: float,
                   error: Callable[[str], ValueError]) -> float:
    """A number within [low, high]; ``error`` makes the channel's own configuration error."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise error(f"{name} must be between {low:g} and {high:g}")
    return number


def url_setting(value: str, name: str, error: Callable[[str], ValueError]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or parsed.query:
        raise error(f"{name} must be an http(s) URL without a query, not {value!r}")
    return value.rstrip("/")


def _sms_error(problem: str) -> ValueError:
    return SmsConfigError(f"twilio_sms: {problem}")


def _number(value: Any, name: str, low: float, high: float) -> float:
    return number_setting(value, name, low, high, _sms_error)


def _http_url(value: str, name: str) -> str:
    return url_setting(value, name, _sms_error)


@dataclass(frozen=True)
class SmsSettings:
    enabled: bool
    account_sid: str = ""
    auth_token: str = ""
    public_base_url: str = ""
    from_number: str = ""
    conversation_secret: str = ""
    store_path: Path = Path("var/sms.db")
    api_base_url: str = TWILIO_API_BASE_URL
    # Off by default: lets tests bind a conversation to a demo person (X-Test-Person-Ref).
    test_identity_header: bool = False
    # Twilio waits 15 s for the webhook; past this the answer goes out through the REST API.
    reply_timeout: float = 10.0
    max_body_chars: int = 1600
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_segments: int = 3
    choices_ttl: float = 3600.0
    send_attempts: int = 4
    # What /notices requires: the case backend notifier's own token, which the backend itself
    # does not accept, so no token the replicas hold can send notices and vice versa.
    notices_token: str = ""

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None,
                         environ: Mapping[str, str] | None = None) -> SmsSettings:
        environ = os.environ if environ is None else environ
        raw = {key: expand_env(value, environ) for key, value in (credentials or {}).items()}
        unknown = sorted(set(raw) - _KNOWN)
        if unknown:
            raise SmsConfigError(f"twilio_sms: unknown setting(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(_KNOWN))}")
        notices_token = environ.get(NOTICES_TOKEN_ENV, "").strip()
        present = [key for key in REQUIRED if raw.get(key)]
        if not present:
            return cls(enabled=False, notices_token=notices_token)
        missing = [key for key in REQUIRED if not raw.get(key)]
        if missing:
            raise SmsConfigError(
                f"twilio_sms: {', '.join(missing)} not set (empty, or the environment "
                f"variable it names is unset); set all of {', '.join(REQUIRED)} or none")
        account_sid = str(raw["account_sid"])
        if not _ACCOUNT_SID.match(account_sid):
            raise SmsConfigError("twilio_sms: account_sid must look like AC + 32 hex digits")
        if is_local(account_sid):
            refuse_in_production(environ, "twilio_sms uses the local Twilio account of make run "
                                          "(connectors/local_twilio)")
        test_identity_header = _flag(raw.get("test_identity_header", False),
                                     "test_identity_header")
        if test_identity_header:
            refuse_in_production(environ, "twilio_sms: test_identity_header is on (a test-only "
                                          "path)")
        from_number = str(raw["from_number"])
        if not E164.match(from_number):
            raise SmsConfigError("twilio_sms: from_number must be an E.164 number (+46...)")
        secret = str(raw["conversation_secret"])
        if len(secret) < 16:
            raise SmsConfigError("twilio_sms: conversation_secret must be at least 16 "
                                 "characters (it keys the opaque conversation ids)")
        return cls(
            enabled=True,
            account_sid=account_sid,
            auth_token=str(raw["auth_token"]),
            public_base_url=_http_url(str(raw["public_base_url"]), "public_base_url"),
            from_number=from_number,
            conversation_secret=secret,
            store_path=Path(str(raw.get("store_path") or "var/sms.db")),
            api_base_url=_http_url(str(raw.get("api_base_url") or TWILIO_API_BASE_URL),
                                   "api_base_url"),
            test_identity_header=test_identity_header,
            reply_timeout=_number(raw.get("reply_timeout", 10), "reply_timeout", 0.1, 14),
            max_body_chars=int(_number(raw.get("max_body_chars", 1600), "max_body_chars",
                                       1, 1600)),
            max_segments=int(_number(raw.get("max_segments", 3), "max_segments", 1, 10)),
            choices_ttl=_number(raw.get("choices_ttl", 3600), "choices_ttl", 1, 7 * 86400),
            send_attempts=int(_number(raw.get("send_attempts", 4), "send_attempts", 1, 10)),
            notices_token=notices_token,
        )

    def url(self, path: str) -> str:
        return f"{self.public_base_url}{path}"
