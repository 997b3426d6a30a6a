"""Sealing what the phone channel keeps of a call (its state, its spoken answers) so that
the store's file or Redis never holds an answer in clear text.

Fernet, as the identity vault uses (common/identity_vault.py); the key is derived from the
channel's ``conversation_secret`` (from the environment, ``VOICE_CONVERSATION_SECRET``), so
no extra setting is needed and the key is not the one the vault uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

_KEY_LABEL = b"voice-call-store"


class Sealer:
    def __init__(self, secret: str) -> None:
        digest = hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The text, or None when it was sealed with another key (or is not sealed)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None
