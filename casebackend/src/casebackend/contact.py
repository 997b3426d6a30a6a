"""Mobile numbers encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

The Fernet key is derived with HKDF-SHA256 from CASEBACKEND_CONTACT_KEY, so any long secret
works as the setting. A number is only decrypted to be handed to the assistant; it is never
logged, printed or returned by the API. Changing the key makes the stored numbers unreadable:
reload them (the demo loader does).
"""

from __future__ import annotations

import base64
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_INFO = b"casebackend mobile numbers v1"


class ContactError(ValueError):
    """A number is malformed or cannot be decrypted; the message never contains it."""


def _fernet(key: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_mobile(number: str, key: bytes) -> str:
    if not _E164.fullmatch(number):
        raise ContactError("a mobile number must be in E.164 form (+46701740605)")
    return _fernet(key).encrypt(number.encode("ascii")).decode("ascii")


def decrypt_mobile(token: str, key: bytes) -> str:
    try:
        number = _fernet(key).decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise ContactError(
            "the stored mobile number cannot be decrypted (was CASEBACKEND_CONTACT_KEY changed?)"
        ) from None
    if not _E164.fullmatch(number):
        raise ContactError("the stored mobile number is not in E.164 form")
    return number
