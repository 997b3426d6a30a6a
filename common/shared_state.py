"""Where state that every replica must see lives: this process (the embedded default) or Redis.

One setting decides it for the Rasa replicas and the action servers alike:
``ASSISTANT_REDIS_URL`` (``redis://host:6379/0``, ``rediss://`` or ``unix://``), with key names
under ``ASSISTANT_REDIS_PREFIX`` (default ``mina:``). Unset, every store is the embedded one
(SQLite files in var/, or memory) and no Redis is needed. Each store module has one interface
with both implementations and an ``open_*`` factory that takes a ``SharedState``.

No connection is made here at import or construction time: a ``RedisHandle`` makes its
client on first use inside the running event loop (Sanic's, after ``before_server_start``).
This module imports no Rasa code: the action server uses it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

URL_ENV = "ASSISTANT_REDIS_URL"
PREFIX_ENV = "ASSISTANT_REDIS_PREFIX"
DEFAULT_PREFIX = "mina:"
_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_SCHEMES = ("redis://", "rediss://", "unix://")


class SharedStateConfigError(ValueError):
    """ASSISTANT_REDIS_URL or ASSISTANT_REDIS_PREFIX is malformed; the message says how."""


@dataclass(frozen=True)
class SharedState:
    """``url`` None: the embedded default (this process, SQLite files)."""

    url: str | None = None
    prefix: str = DEFAULT_PREFIX

    @property
    def enabled(self) -> bool:
        return self.url is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SharedState:
        environ = os.environ if environ is None else environ
        url = environ.get(URL_ENV, "").strip()
        prefix = environ.get(PREFIX_ENV, "").strip() or DEFAULT_PREFIX
        if not url:
            return cls()
        if not url.startswith(_SCHEMES):
            raise SharedStateConfigError(
                f"{URL_ENV} must be a Redis URL (redis://host:6379/0, rediss://... or "
                f"unix://...), not {url.split('@')[-1][:80]!r}")
        if not _PREFIX.match(prefix):
            raise SharedStateConfigError(
                f"{PREFIX_ENV} must be 1-64 letters, digits or _.:- (got {prefix[:80]!r})")
        return cls(url, prefix)

    def describe(self) -> str:
        """For logs: where the state is, without a password."""
        if self.url is None:
            return "embedded (this process and SQLite files)"
        return f"Redis {self.url.split('@')[-1]} under {self.prefix!r}"


def _make_client(url: str) -> Any:
    # Text in and out (every value stored is text); short timeouts so that a Redis outage
    # is an error within the channel's budget, not a hang. One retry on a new connection
    # after a connection error: a pooled connection from before a Redis restart fails once,
    # which otherwise failed turns for up to 20 s after Redis was back (tests/scaleout).
    return aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2.0,
                                   socket_timeout=5.0, health_check_interval=30,
                                   retry_on_error=[RedisConnectionError])


class RedisHandle:
    """A lazily made ``redis.asyncio`` client and the key names under the prefix.

    The client is made on the first call of ``client()`` in a running event loop and made
    again if the loop changed (its connections belong to the loop that opened them)."""

    def __init__(self, settings: SharedState,
                 make_client: Callable[[str], Any] = _make_client) -> None:
        if settings.url is None:
            raise ValueError("RedisHandle needs ASSISTANT_REDIS_URL")
        self.settings = settings
        self._make_client = make_client
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def key(self, *parts: str) -> str:
        return self.settings.prefix + ":".join(parts)

    def client(self) -> Any:
        loop = asyncio.get_running_loop()  # RuntimeError outside one: never at import time
        if self._client is None or self._loop is not loop:
            self._client = self._make_client(str(self.settings.url))
            self._loop = loop
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(RedisError, OSError):
                await client.close()
                await client.connection_pool.disconnect()


def handle_from_env(environ: Mapping[str, str] | None = None) -> RedisHandle | None:
    """A handle if ``ASSISTANT_REDIS_URL`` is set, else None (the embedded default)."""
    settings = SharedState.from_env(environ)
    return RedisHandle(settings) if settings.enabled else None


class KeyLocks(Protocol):
    """One holder at a time per key, in arrival order (the web chat's sessions, SMS
    conversations): in-process asyncio locks by default, ``RedisLocks`` across replicas."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...


class LockUnavailableError(Exception):
    """The conversation's lock could not be had in time, or Redis could not be reached."""


# Takes a ticket (FIFO across every replica): the queue is a sorted set of tickets, each
# alive while its lease key exists. Returns the ticket and whether it is first already.
_ISSUE = """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('SET', KEYS[3] .. ticket, '1', 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head == nil then return {ticket, 0} end
  if redis.call('EXISTS', KEYS[3] .. head) == 1 then
    return {ticket, tonumber(head) == ticket and 1 or 0}
  end
  redis.call('ZREM', KEYS[2], head)
end
"""
# Whether ``ticket`` is the first live one; tickets whose holder died (lease gone) are dropped.
_HEAD = """
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head == nil then return -1 end
  if redis.call('EXISTS', KEYS[2] .. head) == 1 then
    return tonumber(head) == tonumber(ARGV[1]) and 1 or 0
  end
  redis.call('ZREM', KEYS[1], head)
end
"""


class RedisLocks:
    """One turn at a time per key across every replica, in the order the turns asked.

    A ticket lock: each waiter takes a number (INCR) and goes when it is the lowest live
    ticket. A ticket lives while its lease key does; the holder and the waiters renew it, so
    a replica that dies releases its place within ``lease_seconds``. Within this process the
    tickets are taken in arrival order (a local FIFO lock around the INCR only)."""

    def __init__(self, handle: RedisHandle, namespace: str, lease_seconds: float = 10.0,
                 wait_seconds: float = 60.0, poll_seconds: float = 0.02,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self._handle = handle
        self._namespace = namespace
        self._lease_ms = int(lease_seconds * 1000)
        self._wait = wait_seconds
        # The queue outlives any holder or waiter: they all renew it with their own lease.
        self._queue_ms = max(self._lease_ms, int(wait_seconds * 1000)) * 2
        self._poll = poll_seconds
        self._sleep = sleep
        self._issuing: dict[str, tuple[asyncio.Lock, int]] = {}

    def _keys(self, key: str) -> tuple[str, str, str]:
        base = self._handle.key("lock", self._namespace, key)
        return base + ":next", base + ":queue", base + ":live:"

    async def _issue(self, key: str) -> tuple[int, bool]:
        lock, users = self._issuing.get(key, (asyncio.Lock(), 0))
        self._issuing[key] = (lock, users + 1)
        try:
            async with lock:
                ticket, first = await self._handle.client().eval(
                    _ISSUE, 3, *self._keys(key), self._lease_ms, self._queue_ms)
        finally:
            lock, users = self._issuing[key]
            if users <= 1:
                del self._issuing[key]
            else:
                self._issuing[key] = (lock, users - 1)
        return int(ticket), bool(first)

    async def _renew(self, key: str, live_key: str) -> None:
        next_key, queue_key, _ = self._keys(key)
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            with contextlib.suppress(RedisError, OSError):
                async with self._handle.client().pipeline(transaction=False) as pipe:
                    pipe.pexpire(live_key, self._lease_ms)
                    pipe.pexpire(next_key, self._queue_ms)
                    pipe.pexpire(queue_key, self._queue_ms)
                    await pipe.execute()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        _, queue_key, live_prefix = self._keys(key)
        try:
            ticket, first = await self._issue(key)
        except (RedisError, OSError) as error:
            raise LockUnavailableError(f"shared lock: {type(error).__name__}") from error
        live_key = f"{live_prefix}{ticket}"
        renewal = asyncio.create_task(self._renew(key, live_key))
        try:
            deadline = asyncio.get_running_loop().time() + self._wait
            while not first:
                if asyncio.get_running_loop().time() >= deadline:
                    raise LockUnavailableError(f"shared lock: waited {self._wait:.0f} s")
                await self._sleep(self._poll)
                try:
                    first = int(await self._handle.client().eval(
                        _HEAD, 2, queue_key, live_prefix, ticket)) == 1
                except (RedisError, OSError) as error:
                    raise LockUnavailableError(
                        f"shared lock: {type(error).__name__}") from error
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal  # not stopped halfway through a command on a shared connection
            with contextlib.suppress(RedisError, OSError):
                async with self._handle.client().pipeline(transaction=False) as pipe:
                    pipe.zrem(queue_key, ticket)
                    pipe.delete(live_key)
                    await pipe.execute()
