"""Shared state (ASSISTANT_REDIS_URL) against a real Redis: 127.0.0.1:6379, or
``ASSISTANT_TEST_REDIS_URL``. Every test gets its own random key prefix and its keys are
deleted afterwards, so a Redis that others use is not disturbed."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import redis
from redis.exceptions import RedisError

from common.shared_state import SharedState

REDIS_URL = os.environ.get("ASSISTANT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_sync() -> Iterator[redis.Redis]:
    """A plain client to look at what the stores wrote."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except RedisError as error:
        pytest.fail(f"these tests need a Redis at {REDIS_URL} ({error})")
    yield client
    client.close()


@pytest.fixture
def shared(redis_sync: redis.Redis) -> Iterator[SharedState]:
    prefix = f"test-{secrets.token_hex(6)}:"
    yield SharedState(REDIS_URL, prefix)
    for key in redis_sync.scan_iter(match=f"{prefix}*", count=500):
        redis_sync.delete(key)
