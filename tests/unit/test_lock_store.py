"""The replicas' conversation lock store: Rasa's interface over the shared ticket lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from rasa.core.lock_store import LockError

from bot.lock_store import SharedTicketLockStore
from common.shared_state import LockUnavailableError, SharedState


class RecordingLocks:
    def __init__(self, fail: bool = False) -> None:
        self.held: list[str] = []
        self.fail = fail

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        if self.fail:
            raise LockUnavailableError("shared lock: ConnectionError")
        self.held.append(key)
        yield


def test_a_turn_holds_its_conversations_shared_lock() -> None:
    locks = RecordingLocks()
    store = SharedTicketLockStore(locks=locks, state=SharedState())

    async def turn() -> None:
        async with store.lock("anna") as lock:
            assert lock.conversation_id == "anna"

    asyncio.run(turn())
    assert locks.held == ["anna"]


def test_an_unreachable_lock_is_rasas_lock_error() -> None:
    store = SharedTicketLockStore(locks=RecordingLocks(fail=True), state=SharedState())

    async def turn() -> None:
        async with store.lock("anna"):
            pass

    with pytest.raises(LockError, match="ConnectionError"):
        asyncio.run(turn())


def test_it_needs_the_shared_redis() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_REDIS_URL"):
        SharedTicketLockStore(state=SharedState())
