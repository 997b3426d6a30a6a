"""Per-session rate limit: a token bucket of ``messages`` refilled over ``per_seconds``.

A burst of up to ``messages`` is allowed, then one message per ``per_seconds / messages``.
Buckets that have refilled completely are dropped, so idle sessions cost no memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.webchat.config import RateLimit


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


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

    def _prune(self, now: float) -> None:
        full = [key for key, bucket in self._buckets.items()
                if bucket.tokens + (now - bucket.updated) * self._refill_per_second
                >= self._capacity]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
