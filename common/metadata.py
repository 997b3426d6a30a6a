"""The keys of a message's metadata that cross from the Rasa process to the action server,
in one place for both sides. The values are opaque: a vault token, person references, an
HMAC of the caller's number, a language code; never a personnummer."""

from __future__ import annotations

from typing import Final, TypedDict

# A one-time identity-vault token for the personnummer the channel redacted.
PNR_TOKEN: Final = "pnr_token"
# The person named by the web chat's verified session token.
SESSION_PERSON_REF: Final = "session_person_ref"
# The test-only identity path (ASSISTANT_TEST_IDENTITY=on on the action server).
TEST_PERSON_REF: Final = "test_person_ref"
# An HMAC of the calling number (SMS, phone), for the identification start limit.
CALLER_HASH: Final = "caller_hash"
# The conversation language a channel knows (page language, the phone's choice).
LANGUAGE: Final = "language"


class MessageMetadata(TypedDict, total=False):
    """What a channel may put on a user message for the NLU and the actions."""

    pnr_token: str
    session_person_ref: str
    test_person_ref: str
    caller_hash: str
    language: str
