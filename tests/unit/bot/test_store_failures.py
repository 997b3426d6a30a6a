"""Tracker store failures fail the turn: Rasa's FailSafeTrackerStore is taken away."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from bot.store_failures import use_primary_tracker_store


class BrokenStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> None:
        raise ConnectionError("database restarting")


def test_a_failing_read_reaches_the_caller_instead_of_a_blank_conversation() -> None:
    primary = BrokenStore(Domain.empty())
    wrapped = FailSafeTrackerStore(primary)
    # Rasa's wrapper: the failure becomes "no conversation", and a new one is started.
    assert asyncio.run(wrapped.retrieve("anna")) is None
    agent = SimpleNamespace(tracker_store=wrapped,
                            processor=SimpleNamespace(tracker_store=wrapped))
    assert use_primary_tracker_store(agent)
    assert agent.tracker_store is primary and agent.processor.tracker_store is primary
    with pytest.raises(ConnectionError):
        asyncio.run(agent.tracker_store.retrieve("anna"))


def test_an_unwrapped_store_or_no_agent_is_left_alone() -> None:
    store = InMemoryTrackerStore(Domain.empty())
    agent = SimpleNamespace(tracker_store=store, processor=None)
    assert not use_primary_tracker_store(agent)
    assert agent.tracker_store is store
    assert not use_primary_tracker_store(None)
