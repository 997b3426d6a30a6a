"""Who an SMS conversation is, without saying who: opaque ids, and one turn at a time.

The phone number is not an identity and must not reach the tracker: a conversation id is an
HMAC of the number with a configured secret, so the same number always lands in the same
conversation while neither the tracker nor the SMS store can be read back to a number.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from connectors.twilio.phones import normalise_phone

CONVERSATION_PREFIX = "sms-"


class ConversationIds:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def of(self, phone: str) -> str:
        digest = hmac.new(self._key, normalise_phone(phone).encode("utf-8"), hashlib.sha256)
        return CONVERSATION_PREFIX + digest.hexdigest()[:32]


class ConversationLocks:
    """One turn at a time per conversation, in the order the turns asked (asyncio.Lock is FIFO).

    Rasa's lock store serialises its own processing; this lock also covers what the channel
    does around it (dedupe, choices, sending a late answer), so the answers leave in order.
    Locks of idle conversations are dropped, so the map does not grow with every sender.
    With several replicas the service uses ``common.shared_state.RedisLocks`` instead.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)

    def active(self) -> int:
        return len(self._locks)
