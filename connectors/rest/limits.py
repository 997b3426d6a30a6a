"""The REST channel's message rate limits: per sender, and over all senders (a flood over
rotating sender ids meets the global one); in this process, or in Redis with
``ASSISTANT_REDIS_URL`` so that every replica counts together."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sanic import response
from sanic.response import HTTPResponse

from common.shared_state import RedisHandle
from connectors.base.ratelimit import (
    Decision,
    Limiter,
    RateLimit,
    RateLimiter,
    RedisRateLimiter,
)

# A person types far slower than 5 messages a second; the conversation corpus plays dozens of
# conversations at once against one process and stays under the global default.
DEFAULT_PER_SENDER = RateLimit(messages=5, per_seconds=1.0, burst=20)
DEFAULT_GLOBAL = RateLimit(messages=50, per_seconds=1.0, burst=200)
GLOBAL_KEY = "all"


@dataclass(frozen=True)
class RestLimits:
    per_sender: Limiter
    overall: Limiter

    @classmethod
    def make(cls, per_sender: RateLimit = DEFAULT_PER_SENDER,
             overall: RateLimit = DEFAULT_GLOBAL,
             handle: RedisHandle | None = None) -> RestLimits:
        if handle is None:
            return cls(RateLimiter(per_sender), RateLimiter(overall))
        return cls(RedisRateLimiter(handle, per_sender, namespace="rest-sender"),
                   RedisRateLimiter(handle, overall, namespace="rest-global"))

    async def take(self, sender: str) -> Decision:
        decision = await self.per_sender.take(sender)
        return decision if not decision.allowed else await self.overall.take(GLOBAL_KEY)


def refused_response(decision: Decision) -> HTTPResponse:
    seconds = str(max(1, math.ceil(decision.retry_after)))
    if decision.unavailable:
        return response.json({"error": "the assistant is unavailable"}, status=503,
                             headers={"Retry-After": seconds})
    return response.json({"error": "too many messages"}, status=429,
                         headers={"Retry-After": seconds})
