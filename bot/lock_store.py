"""A Rasa lock store for several replicas: one turn at a time per conversation, in arrival order,
on the shared state's Redis ticket lock (``common.shared_state.RedisLocks``).

``endpoints.yml``::

    lock_store:
      type: bot.lock_store.SharedTicketLockStore
      lease_seconds: 10     # a replica that dies mid-turn holds its conversations this long
      wait_seconds: 120     # the longest a message waits for the turns before it

The Redis is ``ASSISTANT_REDIS_URL`` (and ``ASSISTANT_REDIS_PREFIX``), like all shared state.

Why not Rasa's ``type: redis``: its ticket lock reads the conversation's lock, adds a ticket
and writes it back in separate calls, so two replicas taking a ticket at the same moment can
both get the same number and run their turns at once. Measured here (tests/scaleout): bursts
of 8 messages for one sender sent to two replicas lost user messages from the tracker store
(three of eight in one burst) although all were answered. It also polls once a second and
keeps a dead replica's ticket for 60 s. Here a ticket is taken atomically (a Lua script),
waiters poll every 20 ms, and a ticket lives while its holder renews its lease.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore

from common.shared_state import (
    KeyLocks,
    LockUnavailableError,
    RedisHandle,
    RedisLocks,
    SharedState,
)

NAMESPACE = "conversation"
DEFAULT_LEASE_SECONDS = 10.0
DEFAULT_WAIT_SECONDS = 120.0


def _seconds(options: dict[str, Any], name: str, default: float) -> float:
    value = float(options.get(name, default))
    if not 0 < value <= 3600:
        raise ValueError(f"lock_store.{name} must be between 0 and 3600 seconds")
    return value


class SharedTicketLockStore(LockStore):
    def __init__(self, endpoint_config: Any = None, locks: KeyLocks | None = None,
                 state: SharedState | None = None) -> None:
        self._state = state or SharedState.from_env()
        if locks is None:
            if not self._state.enabled:
                raise ValueError("lock_store bot.lock_store.SharedTicketLockStore needs "
                                 "ASSISTANT_REDIS_URL (the replicas' shared Redis)")
            options = dict(getattr(endpoint_config, "kwargs", None) or {})
            locks = RedisLocks(RedisHandle(self._state), NAMESPACE,
                               lease_seconds=_seconds(options, "lease_seconds",
                                                      DEFAULT_LEASE_SECONDS),
                               wait_seconds=_seconds(options, "wait_seconds",
                                                     DEFAULT_WAIT_SECONDS))
        self._locks = locks
        super().__init__()

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = 0) -> AsyncIterator[TicketLock]:
        """Rasa's signature; the lifetime and the polling are the lease's and the store's."""
        try:
            async with self._locks.hold(conversation_id):
                yield TicketLock(conversation_id)
        except LockUnavailableError as error:
            raise LockError(f"conversation lock: {error}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """Only a reachability check (readiness probes call it from their own thread):
        the queue is Redis's, not a TicketLock."""
        import redis

        if self._state.url is not None:
            client = redis.Redis.from_url(self._state.url, socket_connect_timeout=2,
                                          socket_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
        return None
