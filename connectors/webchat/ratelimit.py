"""Per-session rate limit: a token bucket of ``messages`` refilled over ``per_seconds``.

A burst of up to ``messages`` is allowed, then one message per ``per_seconds / messages``.
Buckets that have refilled completely are dropped, so idle sessions cost no memory.
``RateLimiter`` counts in this process (the embedded default); ``RedisRateLimiter`` counts
the same bucket in Redis for every replica (``ASSISTANT_REDIS_URL``, see
common/shared_state.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import RedisError

from common.shared_state import RedisHandle
from connectors.webchat.config import RateLimit

logger = logging.getLogger(__name__)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


class Limiter(Protocol):
    async def take(self, key: str) -> Decision:
        """Takes one token for ``key`` if there is one."""


class RateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 prune_every: int = 1000) -> None:
        self._capacity = float(limit.messages)
        self._refill_per_second = limit.messages / limit.per_seconds
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._prune_every = prune_every
        self._calls = 0

    def check(self, key: str) -> Decision:
        """Takes one token for ``key`` if there is one."""
        now = self._clock()
        self._calls += 1
        if self._calls % self._prune_every == 0:
            self._prune(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        else:
            bucket.tokens = min(self._capacity,
                                bucket.tokens + (now - bucket.updated) * self._refill_per_second)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision(True)
        return Decision(False, (1.0 - bucket.tokens) / self._refill_per_second)

    async def take(self, key: str) -> Decision:
        return self.check(key)

    def _prune(self, now: float) -> None:
        full = [key for key, bucket in self._buckets.items()
                if bucket.tokens + (now - bucket.updated) * self._refill_per_second
                >= self._capacity]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


# The same bucket, atomically in Redis. Numbers go back as text: Lua would round them.
_TAKE = """
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local capacity, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, updated = tonumber(bucket[1]), tonumber(bucket[2])
if tokens == nil or updated == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    """``RateLimiter``'s bucket kept in Redis, so a session's messages count on every replica.
    A bucket expires once it would have refilled, so idle sessions cost nothing there either."""

    def __init__(self, handle: RedisHandle, limit: RateLimit,
                 clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._capacity = float(limit.messages)
        self._refill_per_second = limit.messages / limit.per_seconds
        self._ttl_ms = math.ceil(limit.per_seconds * 1000) + 1000
        self._clock = clock

    async def take(self, key: str) -> Decision:
        try:
            allowed, tokens = await self._handle.client().eval(
                _TAKE, 1, self._handle.key("webchat", "rate", key), self._capacity,
                self._refill_per_second, repr(self._clock()), self._ttl_ms)
        except (RedisError, OSError) as error:
            # A protection, not the conversation: without Redis the message goes on (and
            # the session lock, which needs Redis too, answers "unavailable" if it is down).
            logger.warning("web chat: rate limit not checked (%s)", type(error).__name__)
            return Decision(True)
        if int(allowed) == 1:
            return Decision(True)
        return Decision(False, (1.0 - float(tokens)) / self._refill_per_second)
