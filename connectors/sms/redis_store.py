"""The SMS channel's state in Redis, for several Rasa replicas behind one Twilio number
(``ASSISTANT_REDIS_URL``, common/shared_state.py): a MessageSid is claimed once across every
replica and an opt-out holds on all of them. Keys hold the opaque conversation id only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from common.shared_state import RedisHandle
from connectors.sms.state import DEDUPE_RETENTION_SECONDS, NOTICE_STALE_SECONDS, Choice, TurnStart

REDIS_RETENTION_SECONDS = 30 * 86400
CHOICES_RETENTION_SECONDS = 7 * 86400

_BEGIN_TURN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return {0} end
return {1, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3]) or ''}
"""
_CLAIM_NOTICE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state then
  local age = tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'updated_at'))
  if state == 'done' or (state == 'pending' and age < tonumber(ARGV[2])) then return 0 end
end
redis.call('HSET', KEYS[1], 'state', 'pending', 'updated_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
_UPDATE_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HGET', KEYS[1], 'conversation_id') or ''
"""
_RECORD_OUTBOUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'conversation_id', ARGV[1], 'purpose', ARGV[2], 'status', ARGV[3],
           'error_code', '', 'updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def _decode_choices(raw: str, now: float, max_age: float) -> list[Choice]:
    if not raw:
        return []
    stored: dict[str, Any] = json.loads(raw)
    if now - float(stored["offered_at"]) > max_age:
        return []
    return [Choice(str(item["title"]), str(item["payload"])) for item in stored["choices"]]


class RedisSmsStore:
    """``SmsStore`` in Redis, every change one atomic command or script. Keys under the
    prefix: ``sms:in:<MessageSid>`` (expires after ``DEDUPE_RETENTION_SECONDS``),
    ``sms:optout:<conversation>`` (kept: Redis needs persistence for opt-outs to survive a
    restart), ``sms:choices:<conversation>``, ``sms:notice:<key>``, ``sms:out:<MessageSid>``."""

    def __init__(self, handle: RedisHandle, clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._clock = clock

    def _key(self, kind: str, name: str) -> str:
        return self._handle.key("sms", kind, name)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None  # the channel closes the shared client

    async def claim_message(self, message_sid: str, conversation_id: str) -> bool:
        return bool(await self._handle.client().set(
            self._key("in", message_sid), conversation_id, nx=True,
            ex=DEDUPE_RETENTION_SECONDS))

    async def begin_turn(self, message_sid: str, conversation_id: str,
                         choices_max_age: float) -> TurnStart:
        reply = await self._handle.client().eval(
            _BEGIN_TURN, 3, self._key("in", message_sid), self._key("optout", conversation_id),
            self._key("choices", conversation_id), conversation_id, DEDUPE_RETENTION_SECONDS)
        if int(reply[0]) == 0:
            return TurnStart(False, False, ())
        return TurnStart(True, int(reply[1]) == 1,
                         tuple(_decode_choices(str(reply[2]), self._clock(), choices_max_age)))

    async def opt_out(self, conversation_id: str, keyword: str) -> None:
        await self._handle.client().set(self._key("optout", conversation_id), keyword)

    async def opt_in(self, conversation_id: str) -> None:
        await self._handle.client().delete(self._key("optout", conversation_id))

    async def is_opted_out(self, conversation_id: str) -> bool:
        return int(await self._handle.client().exists(
            self._key("optout", conversation_id))) == 1

    async def set_choices(self, conversation_id: str, choices: list[Choice]) -> None:
        key = self._key("choices", conversation_id)
        if not choices:
            await self._handle.client().delete(key)
            return
        encoded = json.dumps({"offered_at": self._clock(), "choices": [
            {"title": c.title, "payload": c.payload} for c in choices]}, ensure_ascii=False)
        await self._handle.client().set(key, encoded, ex=CHOICES_RETENTION_SECONDS)

    async def choices(self, conversation_id: str, max_age: float) -> list[Choice]:
        raw = await self._handle.client().get(self._key("choices", conversation_id))
        return _decode_choices(raw or "", self._clock(), max_age)

    async def claim_notice(self, idempotency_key: str) -> bool:
        claimed = await self._handle.client().eval(
            _CLAIM_NOTICE, 1, self._key("notice", idempotency_key), repr(self._clock()),
            NOTICE_STALE_SECONDS, REDIS_RETENTION_SECONDS)
        return int(claimed) == 1

    async def finish_notice(self, idempotency_key: str, sent: bool) -> None:
        await self._handle.client().eval(
            _UPDATE_EXISTING, 1, self._key("notice", idempotency_key),
            "state", "done" if sent else "failed", "updated_at", repr(self._clock()))

    async def record_outbound(self, message_sid: str, conversation_id: str, purpose: str,
                              status: str) -> None:
        await self._handle.client().eval(
            _RECORD_OUTBOUND, 1, self._key("out", message_sid), conversation_id, purpose,
            status, repr(self._clock()), REDIS_RETENTION_SECONDS)

    async def update_outbound_status(self, message_sid: str, status: str,
                                     error_code: str | None) -> str | None:
        conversation_id = await self._handle.client().eval(
            _UPDATE_EXISTING, 1, self._key("out", message_sid), "status", status,
            "error_code", error_code or "", "updated_at", repr(self._clock()))
        return None if conversation_id is None else str(conversation_id)

    async def outbound_status(self, message_sid: str) -> tuple[str, str | None] | None:
        fields = await self._handle.client().hmget(self._key("out", message_sid),
                                                   "status", "error_code")
        if fields[0] is None:
            return None
        return str(fields[0]), fields[1] or None
