"""How often identification may be started, and one waiting order per person.

Starts are counted in a sliding window under several keys at once, each with its own limit:
the conversation, the caller (phone number hash), the person (a keyed hash of the personnummer:
personnummer are public, so rotating conversations must not buy more pushes to one citizen's
phone) and everyone together (a global ceiling). A start is refused when any key is at its
limit, and then counted nowhere.

A person has at most one waiting order (``claim``/``release``): while one conversation waits
for a person's confirmation, another conversation cannot start an order for them, which in
BankID would cancel the waiting one.

Kept in SQLite so every action-server process of one host sees the same counts
(``StartLimiter``), or in Redis for action servers on several hosts (``RedisStartLimiter``,
with ``ASSISTANT_REDIS_URL``).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from common.shared_state import RedisHandle


@dataclass(frozen=True)
class StartLimit:
    key: str
    max_starts: int


class StartLimits(Protocol):
    async def try_start(self, limits: Sequence[StartLimit]) -> bool:
        """Records a start under every key unless one of them is at its limit (then False)."""

    async def claim(self, person_key: str, holder: str, seconds: float) -> bool:
        """Makes ``holder`` the one conversation with a waiting order for the person, for at
        most ``seconds``; False if another holder has it."""

    async def release(self, person_key: str, holder: str) -> None:
        """Ends the holder's claim (the order ended); another holder's claim stays."""


class StartLimiter:
    def __init__(self, path: Path, window_seconds: float = 900.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._window = window_seconds
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("create table if not exists starts (key text not null, at real not null)")
            db.execute("create index if not exists starts_key on starts (key, at)")
            db.execute("create table if not exists claims (key text primary key, "
                       "holder text not null, until real not null)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def try_start_now(self, limits: Sequence[StartLimit]) -> bool:
        now = self._clock()
        with self._connect() as db:
            db.execute("begin immediate")
            db.execute("delete from starts where at < ?", (now - self._window,))
            for limit in limits:
                (count,) = db.execute("select count(*) from starts where key = ?",
                                      (limit.key,)).fetchone()
                if count >= limit.max_starts:
                    db.execute("rollback")
                    return False
            db.executemany("insert into starts values (?, ?)",
                           [(limit.key, now) for limit in limits])
            db.execute("commit")
        return True

    def claim_now(self, person_key: str, holder: str, seconds: float) -> bool:
        now = self._clock()
        with self._connect() as db:
            db.execute("begin immediate")
            db.execute("delete from claims where until < ?", (now,))
            row = db.execute("select holder from claims where key = ?",
                             (person_key,)).fetchone()
            if row is not None and row[0] != holder:
                db.execute("rollback")
                return False
            db.execute("insert or replace into claims values (?, ?, ?)",
                       (person_key, holder, now + seconds))
            db.execute("commit")
        return True

    def release_now(self, person_key: str, holder: str) -> None:
        with self._connect() as db:
            db.execute("delete from claims where key = ? and holder = ?", (person_key, holder))

    async def try_start(self, limits: Sequence[StartLimit]) -> bool:
        return await asyncio.to_thread(self.try_start_now, limits)

    async def claim(self, person_key: str, holder: str, seconds: float) -> bool:
        return await asyncio.to_thread(self.claim_now, person_key, holder, seconds)

    async def release(self, person_key: str, holder: str) -> None:
        await asyncio.to_thread(self.release_now, person_key, holder)


# Each key is a sorted set of start times; all keys are checked, then all recorded, at once.
# ARGV: now, window, window in ms, a unique suffix, then one limit per key.
_TRY_START = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for index, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. tostring(now - window))
  if redis.call('ZCARD', key) >= tonumber(ARGV[4 + index]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[1] .. ':' .. ARGV[4])
  redis.call('PEXPIRE', key, ARGV[3])
end
return 1
"""

# The holder's claim, new or renewed; another holder's stays.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisStartLimiter:
    def __init__(self, handle: RedisHandle, window_seconds: float = 900.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._window = window_seconds
        self._clock = clock

    async def try_start(self, limits: Sequence[StartLimit]) -> bool:
        names = [self._handle.key("identity-starts", limit.key) for limit in limits]
        started = await self._handle.client().eval(
            _TRY_START, len(names), *names, repr(self._clock()), repr(self._window),
            math.ceil(self._window * 1000), secrets.token_hex(4),
            *[limit.max_starts for limit in limits])
        return int(started) == 1

    async def claim(self, person_key: str, holder: str, seconds: float) -> bool:
        claimed = await self._handle.client().eval(
            _CLAIM, 1, self._handle.key("identity-claim", person_key), holder,
            max(1, math.ceil(seconds * 1000)))
        return int(claimed) == 1

    async def release(self, person_key: str, holder: str) -> None:
        await self._handle.client().eval(
            _RELEASE, 1, self._handle.key("identity-claim", person_key), holder)
