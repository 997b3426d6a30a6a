"""How often identification may be started: per conversation and per caller (phone number
hash), in a sliding window. Kept in SQLite so every action-server process sees the same count."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path


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
