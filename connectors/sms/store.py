"""The SMS channel's own state in SQLite: delivered MessageSids (exactly once), opt-outs, the
numbered choices last offered, notice idempotency keys and outbound delivery status.

Everything is keyed by the opaque conversation id; no phone number is stored. SQLite is
blocking, so every call runs in a worker thread (``asyncio.to_thread``) on one connection
guarded by a lock; SQL is parameterised, never built from strings.

The file is per node. Several Rasa replicas behind one Twilio number share one Redis
instead (``RedisSmsStore``, chosen by ``ASSISTANT_REDIS_URL``, see common/shared_state.py):
the same interface (``SmsState``), so a MessageSid is claimed once across every replica and
an opt-out holds on all of them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from common.shared_state import RedisHandle
from connectors.sms.redis_store import RedisSmsStore
from connectors.sms.state import (
    DEDUPE_RETENTION_SECONDS,
    NOTICE_STALE_SECONDS,
    Choice,
    SmsState,
    TurnStart,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_messages (
    message_sid TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_received_at ON inbound_messages (received_at);
CREATE TABLE IF NOT EXISTS opt_outs (
    conversation_id TEXT PRIMARY KEY,
    keyword TEXT NOT NULL,
    opted_out_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS choices (
    conversation_id TEXT PRIMARY KEY,
    choices TEXT NOT NULL,
    offered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    idempotency_key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbound_messages (
    message_sid TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    updated_at REAL NOT NULL
);
"""

class SmsStore:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    # ---- plumbing ----
    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            if str(self._path) != ":memory:":
                self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(str(self._path), check_same_thread=False,
                                         isolation_level=None, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: no fsync per commit (a power cut may forget the last few claims;
            # the file stays consistent). Keeps the webhook's own work to a few milliseconds.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(SCHEMA)
            self._connection = connection
        return self._connection

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            connection = self._connect()
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._run, work)

    async def open(self) -> None:
        await self._call(lambda connection: None)

    async def close(self) -> None:
        def close() -> None:
            with self._lock:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
        await asyncio.to_thread(close)

    # ---- exactly once ----
    async def claim_message(self, message_sid: str, conversation_id: str) -> bool:
        """True the first time a MessageSid is seen; False for every repeat."""
        now = self._clock()
        return await self._call(
            lambda connection: self._claim(connection, message_sid, conversation_id, now))

    @staticmethod
    def _claim(connection: sqlite3.Connection, message_sid: str, conversation_id: str,
               now: float) -> bool:
        connection.execute("DELETE FROM inbound_messages WHERE received_at < ?",
                           (now - DEDUPE_RETENTION_SECONDS,))
        cursor = connection.execute(
            "INSERT OR IGNORE INTO inbound_messages (message_sid, conversation_id, "
            "received_at) VALUES (?, ?, ?)", (message_sid, conversation_id, now))
        return cursor.rowcount == 1

    async def begin_turn(self, message_sid: str, conversation_id: str,
                         choices_max_age: float) -> TurnStart:
        """Claims the MessageSid and reads the opt-out and the choices on offer."""
        now = self._clock()

        def begin(connection: sqlite3.Connection) -> TurnStart:
            first = self._claim(connection, message_sid, conversation_id, now)
            if not first:
                return TurnStart(False, False, ())
            return TurnStart(True, self._opted_out(connection, conversation_id),
                             tuple(self._choices(connection, conversation_id, now,
                                                 choices_max_age)))
        return await self._call(begin)

    # ---- opt-out ----
    async def opt_out(self, conversation_id: str, keyword: str) -> None:
        now = self._clock()
        await self._call(lambda connection: connection.execute(
            "INSERT INTO opt_outs (conversation_id, keyword, opted_out_at) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET keyword = excluded.keyword, "
            "opted_out_at = excluded.opted_out_at", (conversation_id, keyword, now)))

    async def opt_in(self, conversation_id: str) -> None:
        await self._call(lambda connection: connection.execute(
            "DELETE FROM opt_outs WHERE conversation_id = ?", (conversation_id,)))

    async def is_opted_out(self, conversation_id: str) -> bool:
        return await self._call(lambda connection: self._opted_out(connection,
                                                                   conversation_id))

    @staticmethod
    def _opted_out(connection: sqlite3.Connection, conversation_id: str) -> bool:
        row = connection.execute("SELECT 1 FROM opt_outs WHERE conversation_id = ?",
                                 (conversation_id,)).fetchone()
        return row is not None

    # ---- numbered choices ----
    async def set_choices(self, conversation_id: str, choices: list[Choice]) -> None:
        now = self._clock()
        if not choices:
            await self._call(lambda connection: connection.execute(
                "DELETE FROM choices WHERE conversation_id = ?", (conversation_id,)))
            return
        encoded = json.dumps([{"title": c.title, "payload": c.payload} for c in choices],
                             ensure_ascii=False)
        await self._call(lambda connection: connection.execute(
            "INSERT INTO choices (conversation_id, choices, offered_at) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET choices = excluded.choices, "
            "offered_at = excluded.offered_at", (conversation_id, encoded, now)))

    async def choices(self, conversation_id: str, max_age: float) -> list[Choice]:
        """The choices last offered, if they are younger than ``max_age`` seconds."""
        now = self._clock()
        return await self._call(
            lambda connection: self._choices(connection, conversation_id, now, max_age))

    @staticmethod
    def _choices(connection: sqlite3.Connection, conversation_id: str, now: float,
                 max_age: float) -> list[Choice]:
        row = connection.execute(
            "SELECT choices, offered_at FROM choices WHERE conversation_id = ?",
            (conversation_id,)).fetchone()
        if row is None or now - float(row[1]) > max_age:
            return []
        items: list[dict[str, Any]] = json.loads(row[0])
        return [Choice(str(item["title"]), str(item["payload"])) for item in items]

    # ---- notices ----
    async def claim_notice(self, idempotency_key: str) -> bool:
        """True if this key may be sent now: never seen, failed before, or stale."""
        now = self._clock()

        def claim(connection: sqlite3.Connection) -> bool:
            row = connection.execute("SELECT state, updated_at FROM notices "
                                     "WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is not None:
                state, updated_at = str(row[0]), float(row[1])
                if state == "done" or (state == "pending"
                                       and now - updated_at < NOTICE_STALE_SECONDS):
                    return False
            connection.execute(
                "INSERT INTO notices (idempotency_key, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at", (idempotency_key, "pending", now))
            return True
        return await self._call(claim)

    async def finish_notice(self, idempotency_key: str, sent: bool) -> None:
        """Marks a claimed notice done; a failed one is released so a retry can send it."""
        now = self._clock()
        await self._call(lambda connection: connection.execute(
            "UPDATE notices SET state = ?, updated_at = ? WHERE idempotency_key = ?",
            ("done" if sent else "failed", now, idempotency_key)))

    # ---- outbound delivery status ----
    async def record_outbound(self, message_sid: str, conversation_id: str, purpose: str,
                              status: str) -> None:
        now = self._clock()
        await self._call(lambda connection: connection.execute(
            "INSERT OR IGNORE INTO outbound_messages (message_sid, conversation_id, purpose, "
            "status, updated_at) VALUES (?, ?, ?, ?, ?)",
            (message_sid, conversation_id, purpose, status, now)))

    async def update_outbound_status(self, message_sid: str, status: str,
                                     error_code: str | None) -> str | None:
        """Stores a status callback; returns the message's conversation id, if it is ours."""
        now = self._clock()

        def update(connection: sqlite3.Connection) -> str | None:
            row = connection.execute("SELECT conversation_id FROM outbound_messages "
                                     "WHERE message_sid = ?", (message_sid,)).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE outbound_messages SET status = ?, error_code = ?, updated_at = ? "
                "WHERE message_sid = ?", (status, error_code, now, message_sid))
            return str(row[0])
        return await self._call(update)

    async def outbound_status(self, message_sid: str) -> tuple[str, str | None] | None:
        def read(connection: sqlite3.Connection) -> tuple[str, str | None] | None:
            row = connection.execute("SELECT status, error_code FROM outbound_messages "
                                     "WHERE message_sid = ?", (message_sid,)).fetchone()
            return None if row is None else (str(row[0]), row[1])
        return await self._call(read)


# Notices and outbound messages are kept this long in Redis (SQLite keeps them for good);
# choices at most as long as the longest ``choices_ttl`` allowed.
def open_sms_store(path: Path, handle: RedisHandle | None = None) -> SmsState:
    """Redis with a handle (shared state), else the SQLite file (opened on first use)."""
    if handle is not None:
        return RedisSmsStore(handle)
    return SmsStore(path)
