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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from common.shared_state import RedisHandle

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

# How long a delivered MessageSid is remembered; Twilio retries within minutes.
DEDUPE_RETENTION_SECONDS = 7 * 86400
# A notice claimed but not finished this long ago (the process died) may be sent again.
NOTICE_STALE_SECONDS = 600.0


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


@dataclass(frozen=True)
class TurnStart:
    """What a turn needs to know first, read in one transaction (one thread hop)."""

    first_delivery: bool
    opted_out: bool
    choices: tuple[Choice, ...]


class SmsState(Protocol):
    """The SMS channel's state; ``SmsStore`` (SQLite) and ``RedisSmsStore`` keep it."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def claim_message(self, message_sid: str, conversation_id: str) -> bool: ...

    async def begin_turn(self, message_sid: str, conversation_id: str,
                         choices_max_age: float) -> TurnStart: ...

    async def opt_out(self, conversation_id: str, keyword: str) -> None: ...

    async def opt_in(self, conversation_id: str) -> None: ...

    async def is_opted_out(self, conversation_id: str) -> bool: ...

    async def set_choices(self, conversation_id: str, choices: list[Choice]) -> None: ...

    async def choices(self, conversation_id: str, max_age: float) -> list[Choice]: ...

    async def claim_notice(self, idempotency_key: str) -> bool: ...

    async def finish_notice(self, idempotency_key: str, sent: bool) -> None: ...

    async def record_outbound(self, message_sid: str, conversation_id: str, purpose: str,
                              status: str) -> None: ...

    async def update_outbound_status(self, message_sid: str, status: str,
                                     error_code: str | None) -> str | None: ...

    async def outbound_status(self, message_sid: str) -> tuple[str, str | None] | None: ...


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
REDIS_RETENTION_SECONDS = 30 * 86400
CHOICES_RETENTION_SECONDS = 7 * 86400

_BEGIN_TURN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return {0} end
return {1, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3]) or ''}
"""
_CLAIM_NOTICE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state then
  local age = tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'updated_at'))
  if state == 'done' or (state == 'pending' and age < tonumber(ARGV[2])) then return 0 end
end
redis.call('HSET', KEYS[1], 'state', 'pending', 'updated_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
_UPDATE_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HGET', KEYS[1], 'conversation_id') or ''
"""
_RECORD_OUTBOUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'conversation_id', ARGV[1], 'purpose', ARGV[2], 'status', ARGV[3],
           'error_code', '', 'updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def _decode_choices(raw: str, now: float, max_age: float) -> list[Choice]:
    if not raw:
        return []
    stored: dict[str, Any] = json.loads(raw)
    if now - float(stored["offered_at"]) > max_age:
        return []
    return [Choice(str(item["title"]), str(item["payload"])) for item in stored["choices"]]


class RedisSmsStore:
    """``SmsStore`` in Redis, every change one atomic command or script. Keys under the
    prefix: ``sms:in:<MessageSid>`` (expires after ``DEDUPE_RETENTION_SECONDS``),
    ``sms:optout:<conversation>`` (kept: Redis needs persistence for opt-outs to survive a
    restart), ``sms:choices:<conversation>``, ``sms:notice:<key>``, ``sms:out:<MessageSid>``."""

    def __init__(self, handle: RedisHandle, clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._clock = clock

    def _key(self, kind: str, name: str) -> str:
        return self._handle.key("sms", kind, name)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None  # the channel closes the shared client

    async def claim_message(self, message_sid: str, conversation_id: str) -> bool:
        return bool(await self._handle.client().set(
            self._key("in", message_sid), conversation_id, nx=True,
            ex=DEDUPE_RETENTION_SECONDS))

    async def begin_turn(self, message_sid: str, conversation_id: str,
                         choices_max_age: float) -> TurnStart:
        reply = await self._handle.client().eval(
            _BEGIN_TURN, 3, self._key("in", message_sid), self._key("optout", conversation_id),
            self._key("choices", conversation_id), conversation_id, DEDUPE_RETENTION_SECONDS)
        if int(reply[0]) == 0:
            return TurnStart(False, False, ())
        return TurnStart(True, int(reply[1]) == 1,
                         tuple(_decode_choices(str(reply[2]), self._clock(), choices_max_age)))

    async def opt_out(self, conversation_id: str, keyword: str) -> None:
        await self._handle.client().set(self._key("optout", conversation_id), keyword)

    async def opt_in(self, conversation_id: str) -> None:
        await self._handle.client().delete(self._key("optout", conversation_id))

    async def is_opted_out(self, conversation_id: str) -> bool:
        return int(await self._handle.client().exists(
            self._key("optout", conversation_id))) == 1

    async def set_choices(self, conversation_id: str, choices: list[Choice]) -> None:
        key = self._key("choices", conversation_id)
        if not choices:
            await self._handle.client().delete(key)
            return
        encoded = json.dumps({"offered_at": self._clock(), "choices": [
            {"title": c.title, "payload": c.payload} for c in choices]}, ensure_ascii=False)
        await self._handle.client().set(key, encoded, ex=CHOICES_RETENTION_SECONDS)

    async def choices(self, conversation_id: str, max_age: float) -> list[Choice]:
        raw = await self._handle.client().get(self._key("choices", conversation_id))
        return _decode_choices(raw or "", self._clock(), max_age)

    async def claim_notice(self, idempotency_key: str) -> bool:
        claimed = await self._handle.client().eval(
            _CLAIM_NOTICE, 1, self._key("notice", idempotency_key), repr(self._clock()),
            NOTICE_STALE_SECONDS, REDIS_RETENTION_SECONDS)
        return int(claimed) == 1

    async def finish_notice(self, idempotency_key: str, sent: bool) -> None:
        await self._handle.client().eval(
            _UPDATE_EXISTING, 1, self._key("notice", idempotency_key),
            "state", "done" if sent else "failed", "updated_at", repr(self._clock()))

    async def record_outbound(self, message_sid: str, conversation_id: str, purpose: str,
                              status: str) -> None:
        await self._handle.client().eval(
            _RECORD_OUTBOUND, 1, self._key("out", message_sid), conversation_id, purpose,
            status, repr(self._clock()), REDIS_RETENTION_SECONDS)

    async def update_outbound_status(self, message_sid: str, status: str,
                                     error_code: str | None) -> str | None:
        conversation_id = await self._handle.client().eval(
            _UPDATE_EXISTING, 1, self._key("out", message_sid), "status", status,
            "error_code", error_code or "", "updated_at", repr(self._clock()))
        return None if conversation_id is None else str(conversation_id)

    async def outbound_status(self, message_sid: str) -> tuple[str, str | None] | None:
        fields = await self._handle.client().hmget(self._key("out", message_sid),
                                                   "status", "error_code")
        if fields[0] is None:
            return None
        return str(fields[0]), fields[1] or None


def open_sms_store(path: Path, handle: RedisHandle | None = None) -> SmsState:
    """Redis with a handle (shared state), else the SQLite file (opened on first use)."""
    if handle is not None:
        return RedisSmsStore(handle)
    return SmsStore(path)
