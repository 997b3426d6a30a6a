"""How often identification may be started: per conversation and per caller (phone number
hash), in a sliding window. Kept in SQLite so every action-server process of one host sees the
same count (``StartLimiter``), or in Redis for action servers on several hosts
(``RedisStartLimiter``, with ``ASSISTANT_REDIS_URL``)."""

from __future__ import annotations

import asyncio
import math
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from common.shared_state import RedisHandle


class StartLimits(Protocol):
    async def try_start(self, keys: list[str]) -> bool:
        """Records a start for every key unless one of them is at its limit (then False)."""


class StartLimiter:
    def __init__(self, path: Path, max_starts: int = 3, window_seconds: float = 900.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._max = max_starts
        self._window = window_seconds
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("create table if not exists starts (key text not null, at real not null)")
            db.execute("create index if not exists starts_key on starts (key, at)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def try_start_now(self, keys: list[str]) -> bool:
        """Records a start for every key unless one of them is at its limit."""
        now = self._clock()
        with self._connect() as db:
            db.execute("begin immediate")
            db.execute("delete from starts where at < ?", (now - self._window,))
            for key in keys:
                (count,) = db.execute("select count(*) from starts where key = ?",
                                      (key,)).fetchone()
                if count >= self._max:
                    db.execute("rollback")
                    return False
            db.executemany("insert into starts values (?, ?)", [(key, now) for key in keys])
            db.execute("commit")
        return True

    async def try_start(self, keys: list[str]) -> bool:
        return await asyncio.to_thread(self.try_start_now, keys)


# Each key is a sorted set of start times; all keys are checked, then all recorded, at once.
_TRY_START = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. tostring(now - window))
  if redis.call('ZCARD', key) >= limit then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[1] .. ':' .. ARGV[4])
  redis.call('PEXPIRE', key, ARGV[5])
end
return 1
"""


class RedisStartLimiter:
    def __init__(self, handle: RedisHandle, max_starts: int = 3, window_seconds: float = 900.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._max = max_starts
        self._window = window_seconds
        self._clock = clock

    async def try_start(self, keys: list[str]) -> bool:
        names = [self._handle.key("identity-starts", key) for key in keys]
        started = await self._handle.client().eval(
            _TRY_START, len(names), *names, repr(self._clock()), repr(self._window),
            self._max, secrets.token_hex(4), math.ceil(self._window * 1000))
        return int(started) == 1
