"""The phone channel's configuration: the ``connectors.voice.TwilioVoiceInput`` block of
``credentials.yml``, validated once when the channel is built.

Like the SMS channel (``connectors.sms.config``): quoted ``"${NAME}"`` values come from the
environment; with none of the required values set the channel is *off* (503), with only some
set it refuses to start and says which are missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.locales import LANGUAGES, language_of
from common.production_mode import refuse_in_production
from connectors.local_twilio.account import is_local
from connectors.sms.config import (
    E164,
    TWILIO_API_BASE_URL,
    expand_env,
    number_setting,
    url_setting,
)
from connectors.twilio.signed_requests import DEFAULT_MAX_BODY_BYTES

REQUIRED = ("account_sid", "auth_token", "public_base_url", "conversation_secret")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
# voice_<code>: the <Say> voice of a language of bot/locales.py (its default there).
_VOICE_KEYS = {f"voice_{language.code}": language.code for language in LANGUAGES}
_KNOWN = {*REQUIRED, *_VOICE_KEYS, "store_path", "transfer_number", "speech_timeout",
          "gather_timeout", "max_reprompts", "answer_timeout", "sms_from_number",
          "sms_conversation_secret", "sms_store_path", "api_base_url", "timezone"}


class VoiceConfigError(ValueError):
    """The phone channel's configuration cannot be used."""


def _voice_error(problem: str) -> ValueError:
    return VoiceConfigError(f"twilio_voice: {problem}")


def _number(value: Any, name: str, low: float, high: float) -> float:
    return number_setting(value, name, low, high, _voice_error)


def _http_url(value: str, name: str) -> str:
    return url_setting(value, name, _voice_error)


def dialable(phone: str) -> str:
    """A Swedish national number ("0771-524 524") as E.164 for <Dial> ("+46771524524")."""
    digits = "".join(char for char in phone if char.isdigit() or char == "+")
    if digits.startswith("+"):
        return digits
    return "+46" + digits[1:] if digits.startswith("0") else digits


@dataclass(frozen=True)
class VoiceSettings:
    enabled: bool
    account_sid: str = ""
    auth_token: str = ""
    public_base_url: str = ""
    conversation_secret: str = ""
    store_path: Path = Path("var/voice.db")
    # Empty: the support line's own number (bot/support.yml, SUPPORT_PHONE).
    transfer_number: str = ""
    # Configured <Say> voices by language; a language not named has its table default.
    voices: Mapping[str, str] = field(default_factory=dict)
    # Seconds of silence that end a spoken answer; "auto" is slow for short menu answers.
    speech_timeout: int = 2
    gather_timeout: int = 6
    max_reprompts: int = 2
    # Twilio waits 15 s; past this the caller hears "one moment" and Twilio comes back.
    answer_timeout: float = 8.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The getting-started SMS goes through the SMS channel's sender (off when unset).
    sms_from_number: str = ""
    sms_conversation_secret: str = ""
    sms_store_path: Path = Path("var/sms.db")
    api_base_url: str = TWILIO_API_BASE_URL
    timezone: str = "Europe/Stockholm"

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_from_number and self.sms_conversation_secret)

    def voice_for(self, language: str) -> str:
        entry = language_of(language)
        return self.voices.get(entry.code) or entry.twilio_voice

    def url(self, path: str) -> str:
        return f"{self.public_base_url}{path}"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None,
                         environ: Mapping[str, str] | None = None) -> VoiceSettings:
        environ = os.environ if environ is None else environ
        raw = {key: expand_env(value, environ) for key, value in (credentials or {}).items()}
        unknown = sorted(set(raw) - _KNOWN)
        if unknown:
            raise VoiceConfigError(f"twilio_voice: unknown setting(s) {', '.join(unknown)}; "
                                   f"known: {', '.join(sorted(_KNOWN))}")
        if not any(raw.get(key) for key in REQUIRED):
            return cls(enabled=False)
        missing = [key for key in REQUIRED if not raw.get(key)]
        if missing:
            raise VoiceConfigError(
                f"twilio_voice: {', '.join(missing)} not set (empty, or the environment "
                f"variable it names is unset); set all of {', '.join(REQUIRED)} or none")
        if not _ACCOUNT_SID.match(str(raw["account_sid"])):
            raise VoiceConfigError("twilio_voice: account_sid must look like AC + 32 hex "
                                   "digits")
        if is_local(str(raw["account_sid"])):
            refuse_in_production(environ, "twilio_voice uses the local Twilio account of make "
                                          "run (connectors/local_twilio)")
        secret = str(raw["conversation_secret"])
        if len(secret) < 16:
            raise VoiceConfigError("twilio_voice: conversation_secret must be at least 16 "
                                   "characters (it keys the opaque conversation ids)")
        transfer = str(raw.get("transfer_number") or "")
        if transfer and not E164.match(transfer):
            raise VoiceConfigError("twilio_voice: transfer_number must be E.164 (+46...)")
        sms_from = str(raw.get("sms_from_number") or "")
        if sms_from and not E164.match(sms_from):
            raise VoiceConfigError("twilio_voice: sms_from_number must be E.164 (+46...)")
        return cls(
            enabled=True, account_sid=str(raw["account_sid"]),
            auth_token=str(raw["auth_token"]),
            public_base_url=_http_url(str(raw["public_base_url"]), "public_base_url"),
            conversation_secret=secret,
            store_path=Path(str(raw.get("store_path") or "var/voice.db")),
            transfer_number=transfer,
            voices={code: str(raw[key]) for key, code in _VOICE_KEYS.items() if raw.get(key)},
            speech_timeout=int(_number(raw.get("speech_timeout", 2), "speech_timeout", 1, 10)),
            gather_timeout=int(_number(raw.get("gather_timeout", 6), "gather_timeout", 1, 30)),
            max_reprompts=int(_number(raw.get("max_reprompts", 2), "max_reprompts", 0, 5)),
            answer_timeout=_number(raw.get("answer_timeout", 8), "answer_timeout", 0.05, 13),
            sms_from_number=sms_from,
            sms_conversation_secret=str(raw.get("sms_conversation_secret") or ""),
            sms_store_path=Path(str(raw.get("sms_store_path") or "var/sms.db")),
            api_base_url=_http_url(str(raw.get("api_base_url") or TWILIO_API_BASE_URL),
                                   "api_base_url"),
            timezone=str(raw.get("timezone") or "Europe/Stockholm"),
        )
