"""Rate limits of the channels: a token bucket per key, ``messages`` per ``per_seconds``.

A burst of up to ``burst`` (default ``messages``) is allowed, then ``messages`` per
``per_seconds``. Buckets that have refilled completely are dropped, so idle keys cost no
memory. ``RateLimiter`` counts in this process (the embedded default); ``RedisRateLimiter``
counts the same bucket in Redis for every replica (``ASSISTANT_REDIS_URL``, see
common/shared_state.py).

When Redis cannot be reached the Redis limiter refuses (``Decision.unavailable``), counted in
``assistant_rate_limit_unavailable_total``: letting everything through would make a Redis
outage the moment a flood gets in. The channels answer such a refusal as "unavailable".
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import Counter
from redis.exceptions import RedisError

from common.shared_state import RedisHandle

logger = logging.getLogger(__name__)

LIMIT_UNAVAILABLE = Counter("assistant_rate_limit_unavailable",
                            "Requests refused because the shared rate limit could not be "
                            "checked (Redis unreachable)", ["limiter"])
UNAVAILABLE_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class RateLimit:
    messages: int
    per_seconds: float
    burst: int | None = None  # the bucket's size; ``messages`` when not given

    @property
    def capacity(self) -> float:
        return float(self.burst if self.burst is not None else self.messages)

    @property
    def refill_per_second(self) -> float:
        return self.messages / self.per_seconds


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    unavailable: bool = False  # refused because the limit could not be checked


class Limiter(Protocol):
    async def take(self, key: str) -> Decision:
        """Takes one token for ``key`` if there is one."""


class RateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 prune_every: int = 1000) -> None:
        self._capacity = limit.capacity
        self._refill_per_second = limit.refill_per_second
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
                 clock: Callable[[], float] = time.time, namespace: str = "webchat") -> None:
        self._handle = handle
        self._capacity = limit.capacity
        self._refill_per_second = limit.refill_per_second
        # Until the bucket would have refilled from empty.
        self._ttl_ms = math.ceil(limit.capacity / limit.refill_per_second * 1000) + 1000
        self._clock = clock
        self._namespace = namespace

    async def take(self, key: str) -> Decision:
        try:
            allowed, tokens = await self._handle.client().eval(
                _TAKE, 1, self._handle.key(self._namespace, "rate", key), self._capacity,
                self._refill_per_second, repr(self._clock()), self._ttl_ms)
        except (RedisError, OSError) as error:
            # Fail closed: refused, so a Redis outage does not open the door to a flood.
            logger.warning("%s: rate limit not checked, refused (%s)", self._namespace,
                           type(error).__name__)
            LIMIT_UNAVAILABLE.labels(self._namespace).inc()
            return Decision(False, UNAVAILABLE_RETRY_SECONDS, unavailable=True)
        if int(allowed) == 1:
            return Decision(True)
        return Decision(False, (1.0 - float(tokens)) / self._refill_per_second)


def parse_rate_limit(value: Any, name: str) -> RateLimit:
    """``{messages: N, per_seconds: S}`` with an optional ``burst: B`` from credentials.yml;
    ValueError naming ``name`` and the problem."""
    if not isinstance(value, Mapping) or not {"messages", "per_seconds"} <= set(value) \
            or not set(value) <= {"messages", "per_seconds", "burst"}:
        raise ValueError(f"{name} must be {{messages: N, per_seconds: S}} with an optional "
                         f"burst: B (got {value!r})")
    per_seconds = value["per_seconds"]
    if isinstance(per_seconds, bool) or not isinstance(per_seconds, (int, float)) or \
            not 0 < per_seconds <= 86400:
        raise ValueError(f"{name}.per_seconds must be a number of seconds from 1 to 86400 "
                         f"(got {per_seconds!r})")
    counts = {key: value[key] for key in ("messages", "burst") if key in value}
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
            raise ValueError(f"{name}.{key} must be a whole number from 1 to 100000 "
                             f"(got {count!r})")
    return RateLimit(counts["messages"], float(per_seconds), counts.get("burst"))
