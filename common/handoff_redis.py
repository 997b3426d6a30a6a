"""The handoff store in Redis (``ASSISTANT_REDIS_URL``), for several Rasa replicas and action
servers: ``handoff:<conversation>`` (the record, TTL), ``handoff-contact:<conversation>``
(the sealed number, same TTL), ``handoff-delivery:<message_id>`` (SET NX) and
``handoff-offer:<conversation>``. Expiry is Redis's own."""

from __future__ import annotations

import json
from dataclasses import asdict

from common.handoff_store import (
    DELIVERY_RETENTION_SECONDS,
    HANDOFF_TTL_SECONDS,
    OFFER_TTL_SECONDS,
    CallbackOffer,
    HandoffRecord,
    Sealer,
    offer_from_json,
    offer_to_json,
)
from common.shared_state import RedisHandle


class RedisHandoffStore:
    def __init__(self, handle: RedisHandle, sealer: Sealer) -> None:
        self._handle = handle
        self._sealer = sealer

    def _key(self, kind: str, name: str) -> str:
        return self._handle.key(kind, name)

    async def open(self, record: HandoffRecord) -> None:
        await self._handle.client().set(self._key("handoff", record.conversation_id),
                                        json.dumps(asdict(record)),
                                        ex=int(HANDOFF_TTL_SECONDS))

    async def active(self, conversation_id: str) -> HandoffRecord | None:
        raw = await self._handle.client().get(self._key("handoff", conversation_id))
        return None if raw is None else HandoffRecord(**json.loads(raw))

    async def status(self, conversation_id: str) -> tuple[HandoffRecord | None,
                                                          CallbackOffer | None]:
        record, offer = await self._handle.client().mget(
            self._key("handoff", conversation_id), self._key("handoff-offer", conversation_id))
        return (None if record is None else HandoffRecord(**json.loads(record)),
                None if offer is None else offer_from_json(offer, self._sealer))

    async def end(self, conversation_id: str) -> HandoffRecord | None:
        client = self._handle.client()
        raw = await client.getdel(self._key("handoff", conversation_id))
        await client.delete(self._key("handoff-contact", conversation_id))
        return None if raw is None else HandoffRecord(**json.loads(raw))

    async def set_contact(self, conversation_id: str, phone: str) -> None:
        await self._handle.client().set(self._key("handoff-contact", conversation_id),
                                        self._sealer.seal(phone), ex=int(HANDOFF_TTL_SECONDS))

    async def contact(self, conversation_id: str) -> str | None:
        raw = await self._handle.client().get(self._key("handoff-contact", conversation_id))
        return self._sealer.open(raw)

    async def claim_delivery(self, message_id: str) -> bool:
        return bool(await self._handle.client().set(
            self._key("handoff-delivery", message_id), "1", nx=True,
            ex=int(DELIVERY_RETENTION_SECONDS)))

    async def release_delivery(self, message_id: str) -> None:
        await self._handle.client().delete(self._key("handoff-delivery", message_id))

    async def save_offer(self, offer: CallbackOffer) -> None:
        await self._handle.client().set(self._key("handoff-offer", offer.conversation_id),
                                        offer_to_json(offer, self._sealer),
                                        ex=int(OFFER_TTL_SECONDS))

    async def offer(self, conversation_id: str) -> CallbackOffer | None:
        raw = await self._handle.client().get(self._key("handoff-offer", conversation_id))
        return None if raw is None else offer_from_json(raw, self._sealer)

    async def clear_offer(self, conversation_id: str) -> None:
        await self._handle.client().delete(self._key("handoff-offer", conversation_id))
