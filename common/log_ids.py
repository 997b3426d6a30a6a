"""What our own log lines say about a conversation: a short fingerprint, not its id.

A conversation id (``sms-<hex>``, ``voice-<hex>``, a web chat's session id) is opaque, but it
is the key to the conversation's tracker and state: whoever reads the logs could look the
conversation up with it. The fingerprint (the first 8 hex digits of its SHA-256, written
with the letters a-p for 0-f) still lets an operator follow one conversation through the lines
of a process, and cannot be turned back. Letters only: eight digits in a row would look like a
date of birth to the log scrubber, which would then replace the fingerprint itself.
"""

from __future__ import annotations

import hashlib

FINGERPRINT_PREFIX = "conv#"
FINGERPRINT_HEX_DIGITS = 8


_AS_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def fingerprint(conversation_id: str) -> str:
    digest = hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()
    return FINGERPRINT_PREFIX + digest[:FINGERPRINT_HEX_DIGITS].translate(_AS_LETTERS)
