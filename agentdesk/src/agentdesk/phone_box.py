"""The call-back phone numbers, encrypted at rest with Fernet under a key derived from
AGENTDESK_DATA_KEY (any secret text)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class PhoneBox:
    def __init__(self, secret: str) -> None:
        derived = hashlib.sha256(b"agentdesk-phone-v1:" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, phone: str) -> str:
        return self._fernet.encrypt(phone.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The number, or None when it was sealed under another key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
