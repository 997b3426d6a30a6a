"""The phone channel's memory of a call: its state between webhooks and each step's answer.

Twilio posts once per call step (the Gather's action carries ``step=N``); a retried request
for the same CallSid and step gets the stored answer back and is not processed again. No
phone number is stored: calls are keyed by CallSid, conversations by an opaque id.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class CallState:
    conversation_id: str
    language: str = "sv"
    # "menu" (main keypad menu), "number" (personnummer on the keypad), "offer_person",
    # "offer_sms" (the getting-started steps by SMS), "closed" (the call has ended).
    mode: str = "menu"
    misses: int = 0
    # Button payloads of the last answer: key N picks choices[N-1].
    choices: list[str] = field(default_factory=list)
    # Set once the assistant said the caller has protected personal data: no SMS to them.
    protected: bool = False


@dataclass(frozen=True)
class StepStart:
    first: bool
    twiml: str | None  # a repeated step's stored answer (None while it is still processed)


class VoiceStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("create table if not exists calls (call_sid text primary key, "
                       "state text not null, updated real not null)")
            db.execute("create table if not exists steps (call_sid text not null, "
                       "step integer not null, twiml text, created real not null, "
                       "primary key (call_sid, step))")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def _begin(self, call_sid: str, step: int) -> StepStart:
        with self._connect() as db:
            cursor = db.execute("insert or ignore into steps values (?, ?, null, ?)",
                                (call_sid, step, time.time()))
            if cursor.rowcount == 1:
                return StepStart(True, None)
            row = db.execute("select twiml from steps where call_sid = ? and step = ?",
                             (call_sid, step)).fetchone()
        return StepStart(False, row[0] if row else None)

    def _finish(self, call_sid: str, step: int, twiml: str) -> None:
        with self._connect() as db:
            db.execute("update steps set twiml = ? where call_sid = ? and step = ?",
                       (twiml, call_sid, step))

    def _load(self, call_sid: str) -> CallState | None:
        with self._connect() as db:
            row = db.execute("select state from calls where call_sid = ?",
                             (call_sid,)).fetchone()
        return None if row is None else CallState(**json.loads(row[0]))

    def _save(self, call_sid: str, state: CallState) -> None:
        with self._connect() as db:
            db.execute("insert or replace into calls values (?, ?, ?)",
                       (call_sid, json.dumps(asdict(state)), time.time()))

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        return await asyncio.to_thread(self._begin, call_sid, step)

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None:
        await asyncio.to_thread(self._finish, call_sid, step, twiml)

    async def load(self, call_sid: str) -> CallState | None:
        return await asyncio.to_thread(self._load, call_sid)

    async def save(self, call_sid: str, state: CallState) -> None:
        await asyncio.to_thread(self._save, call_sid, state)
