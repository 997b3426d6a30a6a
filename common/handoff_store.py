"""Which conversations a person (the agent desk) has, shared by both processes.

The handoff action (action server) writes a record when the desk accepts the handoff; the
channels (Rasa process) read it on every message to know, without loading the tracker,
that the message goes to the desk; the desk's resume route ends it. The same store keeps
the call-back offers the channels' short dialogue walks through (connectors/base), and the
message ids the desk delivered, so a repeated delivery reaches the citizen once.

Phone numbers (an SMS conversation's own, for the agent's replies; the number a citizen
gives for a call-back) are kept encrypted (Fernet, ``IDENTITY_VAULT_KEY``) and only for the
record's lifetime. One SQLite file on the embedded default (``AGENTDESK_HANDOFF_STORE``,
default var/handoffs.db, the same path for both processes), Redis with
``ASSISTANT_REDIS_URL`` (common/handoff_redis.py). Blocking SQLite runs in a thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.fernet import Fernet, InvalidToken

from common.shared_state import RedisHandle, SharedState

PATH_ENV = "AGENTDESK_HANDOFF_STORE"
KEY_ENV = "IDENTITY_VAULT_KEY"
# An open handoff the desk never resumed stops pausing the channel after this long.
HANDOFF_TTL_SECONDS = 12 * 3600.0
OFFER_TTL_SECONDS = 15 * 60.0
DELIVERY_RETENTION_SECONDS = 2 * 86400.0
T = TypeVar("T")


@dataclass(frozen=True)
class HandoffRecord:
    conversation_id: str
    handoff_id: str
    channel: str  # web | sms
    language: str
    opened_at: float


@dataclass(frozen=True)
class CallbackOffer:
    """Where a call-back dialogue stands: offered → (web: phone) → time → consent."""

    conversation_id: str
    channel: str
    language: str
    stage: str
    offered_at: float
    phone: str | None = None  # decrypted in memory only
    preferred_time: str | None = None
    attempts: int = 0

    def at(self, stage: str, **changes: Any) -> CallbackOffer:
        return replace(self, stage=stage, **changes)


class HandoffStore(Protocol):
    async def open(self, record: HandoffRecord) -> None: ...

    async def status(self, conversation_id: str) -> tuple[HandoffRecord | None,
                                                          CallbackOffer | None]:
        """The open handoff and the call-back offer, in one read (every message asks)."""

    async def active(self, conversation_id: str) -> HandoffRecord | None: ...

    async def end(self, conversation_id: str) -> HandoffRecord | None: ...

    async def set_contact(self, conversation_id: str, phone: str) -> None: ...

    async def contact(self, conversation_id: str) -> str | None: ...

    async def claim_delivery(self, message_id: str) -> bool: ...

    async def release_delivery(self, message_id: str) -> None:
        """A claimed delivery that failed: a retry with the same id may deliver it."""

    async def save_offer(self, offer: CallbackOffer) -> None: ...

    async def offer(self, conversation_id: str) -> CallbackOffer | None: ...

    async def clear_offer(self, conversation_id: str) -> None: ...


class Sealer:
    """Fernet around the phone numbers; without a key a number cannot be stored at all."""

    def __init__(self, key: bytes | None) -> None:
        self._fernet = Fernet(key) if key else None

    def seal(self, value: str) -> str:
        if self._fernet is None:
            raise ValueError(f"{KEY_ENV} is needed to keep a phone number")
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str | None) -> str | None:
        if not sealed or self._fernet is None:
            return None
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            return None


def offer_to_json(offer: CallbackOffer, sealer: Sealer) -> str:
    data = asdict(offer)
    data["phone"] = sealer.seal(offer.phone) if offer.phone else None
    return json.dumps(data, ensure_ascii=False)


def offer_from_json(raw: str, sealer: Sealer) -> CallbackOffer:
    data = json.loads(raw)
    data["phone"] = sealer.open(data.get("phone"))
    return CallbackOffer(**data)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS handoffs (conversation_id TEXT PRIMARY KEY, record TEXT NOT NULL,
    contact TEXT, opened_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (message_id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS offers (conversation_id TEXT PRIMARY KEY, offer TEXT NOT NULL,
    offered_at REAL NOT NULL);
"""


class SqliteHandoffStore:
    def __init__(self, path: Path, sealer: Sealer,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._sealer = sealer
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._connection is None:
                if str(self._path) != ":memory:":
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = sqlite3.connect(str(self._path), check_same_thread=False,
                                                   isolation_level=None, timeout=10)
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.executescript(_SCHEMA)
            connection = self._connection
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

    async def close(self) -> None:
        def close() -> None:
            with self._lock:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
        await asyncio.to_thread(close)

    async def open(self, record: HandoffRecord) -> None:
        await self._call(lambda db: db.execute(
            "INSERT INTO handoffs (conversation_id, record, opened_at) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET record = excluded.record, "
            "opened_at = excluded.opened_at", (record.conversation_id,
                                               json.dumps(asdict(record)), record.opened_at)))

    async def active(self, conversation_id: str) -> HandoffRecord | None:
        return (await self.status(conversation_id))[0]

    async def status(self, conversation_id: str) -> tuple[HandoffRecord | None,
                                                          CallbackOffer | None]:
        now = self._clock()

        def read(db: sqlite3.Connection) -> tuple[Any, Any]:
            record = db.execute("SELECT record FROM handoffs WHERE conversation_id = ? AND "
                                "opened_at >= ?", (conversation_id,
                                                   now - HANDOFF_TTL_SECONDS)).fetchone()
            offer = db.execute("SELECT offer FROM offers WHERE conversation_id = ? AND "
                               "offered_at >= ?", (conversation_id,
                                                   now - OFFER_TTL_SECONDS)).fetchone()
            return record, offer
        record, offer = await self._call(read)
        return (None if record is None else HandoffRecord(**json.loads(record[0])),
                None if offer is None else offer_from_json(offer[0], self._sealer))

    async def end(self, conversation_id: str) -> HandoffRecord | None:
        rows = await self._call(lambda db: db.execute(
            "DELETE FROM handoffs WHERE conversation_id = ? RETURNING record",
            (conversation_id,)).fetchall())
        return HandoffRecord(**json.loads(rows[0][0])) if rows else None

    async def set_contact(self, conversation_id: str, phone: str) -> None:
        sealed = self._sealer.seal(phone)
        await self._call(lambda db: db.execute(
            "UPDATE handoffs SET contact = ? WHERE conversation_id = ?",
            (sealed, conversation_id)))

    async def contact(self, conversation_id: str) -> str | None:
        row = await self._call(lambda db: db.execute(
            "SELECT contact FROM handoffs WHERE conversation_id = ?",
            (conversation_id,)).fetchone())
        return None if row is None else self._sealer.open(row[0])

    async def claim_delivery(self, message_id: str) -> bool:
        now = self._clock()

        def claim(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM deliveries WHERE seen_at < ?",
                       (now - DELIVERY_RETENTION_SECONDS,))
            return db.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?)",
                              (message_id, now)).rowcount == 1
        return await self._call(claim)

    async def release_delivery(self, message_id: str) -> None:
        await self._call(lambda db: db.execute("DELETE FROM deliveries WHERE message_id = ?",
                                               (message_id,)))

    async def save_offer(self, offer: CallbackOffer) -> None:
        encoded = offer_to_json(offer, self._sealer)
        await self._call(lambda db: db.execute(
            "INSERT INTO offers VALUES (?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE "
            "SET offer = excluded.offer, offered_at = excluded.offered_at",
            (offer.conversation_id, encoded, self._clock())))

    async def offer(self, conversation_id: str) -> CallbackOffer | None:
        return (await self.status(conversation_id))[1]

    async def clear_offer(self, conversation_id: str) -> None:
        await self._call(lambda db: db.execute(
            "DELETE FROM offers WHERE conversation_id = ?", (conversation_id,)))


def open_handoff_store(environ: Mapping[str, str] | None = None,
                       handle: RedisHandle | None = None) -> HandoffStore:
    """Redis when shared state is configured (or a handle is given), else the SQLite file."""
    environ = os.environ if environ is None else environ
    key = environ.get(KEY_ENV, "").strip()
    sealer = Sealer(key.encode() if key else None)
    if handle is None:
        shared = SharedState.from_env(environ)
        handle = RedisHandle(shared) if shared.enabled else None
    if handle is not None:
        from common.handoff_redis import RedisHandoffStore

        return RedisHandoffStore(handle, sealer)
    return SqliteHandoffStore(Path(environ.get(PATH_ENV, "var/handoffs.db")), sealer)
