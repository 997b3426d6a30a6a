"""The phone channel's memory of a call in a SQLite file (the embedded default), and the
factory that picks it or Redis (``connectors.voice.redis_store``).

Twilio posts once per call step (the Gather's action carries ``step=N``); a retried request
for the same CallSid and step gets the stored answer back and is not processed again. No
phone number is stored: calls are keyed by CallSid, conversations by an opaque id. State and
answers are sealed (``connectors.voice.sealing``); a call's answers and state are deleted when
it ends, and a sweep deletes those of calls older than the longest call and forgets ended
CallSids after ``ENDED_RETENTION_SECONDS`` (connectors/voice/state.py).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from common.shared_state import RedisHandle
from connectors.voice.redis_store import RedisVoiceStore
from connectors.voice.sealing import Sealer
from connectors.voice.state import (
    ABANDONED_STEP_SECONDS,
    ENDED_RETENTION_SECONDS,
    MAX_CALL_SECONDS,
    CallPhase,
    CallState,
    CallStore,
    StepAnswer,
    StepStart,
)

__all__ = ["CallPhase", "CallState", "CallStore", "StepAnswer", "StepStart", "VoiceStore",
           "open_voice_store"]

# How often the SQLite store looks for calls to forget (on its next write).
SWEEP_INTERVAL_SECONDS = 60.0
_SCHEMA = (
    # Tables of an earlier version held answers in clear text: dropped.
    "drop table if exists calls",
    "drop table if exists steps",
    "create table if not exists voice_calls (call_sid text primary key, started real not "
    "null, ended real, state text)",
    "create index if not exists voice_calls_started on voice_calls (started)",
    "create index if not exists voice_calls_ended on voice_calls (ended)",
    "create table if not exists voice_steps (call_sid text not null, step integer not null, "
    "twiml text, created real not null, primary key (call_sid, step))",
    "create index if not exists voice_steps_created on voice_steps (created)",
)


class VoiceStore:
    """One SQLite file in write-ahead-log mode, one connection kept open.

    Its statements run on the event loop rather than in a thread: each is one indexed row on a
    local file whose commits do not wait for the disk (``synchronous=NORMAL``), a few tens of
    microseconds, where a thread hop and a new connection per call cost a voice turn more than
    the statements themselves (measured with py-spy under 20 concurrent calls). Several
    replicas use RedisVoiceStore instead.
    """

    def __init__(self, path: Path, sealer: Sealer,
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sealer = sealer
        self._swept = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=5, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A crash of the process loses nothing; a power cut may lose the last steps.
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Deleted answers are overwritten in the file, not left in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def sweep(self) -> None:
        """Calls older than the longest call count as ended (their answers go); ended
        CallSids are forgotten after the retention."""
        now = self._clock()
        self._swept = now
        expired = now - MAX_CALL_SECONDS
        self._db.execute("update voice_calls set ended = started + ?, state = null where "
                         "ended is null and started < ?", (MAX_CALL_SECONDS, expired))
        self._db.execute("delete from voice_steps where created < ?", (expired,))
        self._db.execute("delete from voice_calls where ended < ?",
                         (now - ENDED_RETENTION_SECONDS,))

    def _maybe_sweep(self) -> None:
        if self._clock() - self._swept >= SWEEP_INTERVAL_SECONDS:
            self.sweep()

    async def phase(self, call_sid: str) -> CallPhase:
        row = self._db.execute("select started, ended from voice_calls where call_sid = ?",
                               (call_sid,)).fetchone()
        if row is None:
            return CallPhase.NEW
        if row[1] is not None or self._clock() - float(row[0]) > MAX_CALL_SECONDS:
            return CallPhase.OVER
        return CallPhase.ACTIVE

    async def start_call(self, call_sid: str) -> None:
        self._maybe_sweep()
        self._db.execute("insert or ignore into voice_calls values (?, ?, null, null)",
                         (call_sid, self._clock()))

    async def end_call(self, call_sid: str) -> bool:
        now = self._clock()
        self._db.execute("delete from voice_steps where call_sid = ?", (call_sid,))
        cursor = self._db.execute("update voice_calls set ended = ?, state = null where "
                                  "call_sid = ? and ended is null", (now, call_sid))
        if cursor.rowcount == 1:
            return True
        inserted = self._db.execute("insert or ignore into voice_calls values (?, ?, ?, "
                                    "null)", (call_sid, now, now))
        return inserted.rowcount == 1

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        cursor = self._db.execute("insert or ignore into voice_steps values (?, ?, null, ?)",
                                  (call_sid, step, self._clock()))
        if cursor.rowcount == 1:
            return StepStart(True, None)
        row = self._db.execute("select twiml from voice_steps where call_sid = ? and "
                               "step = ?", (call_sid, step)).fetchone()
        return StepStart(False, self._open(row[0]) if row else None)

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None:
        self._db.execute("update voice_steps set twiml = ? where call_sid = ? and step = ?",
                         (self._sealer.seal(twiml), call_sid, step))

    async def answer(self, call_sid: str, step: int) -> StepAnswer:
        row = self._db.execute("select twiml, created from voice_steps where call_sid = ? "
                               "and step = ?", (call_sid, step)).fetchone()
        if row is None:
            return StepAnswer(False, None)
        if row[0] is None:
            if self._clock() - float(row[1]) > ABANDONED_STEP_SECONDS:
                return StepAnswer(False, None)
            return StepAnswer(True, None)
        twiml = self._open(row[0])
        return StepAnswer(twiml is not None, twiml)

    async def load(self, call_sid: str) -> CallState | None:
        row = self._db.execute("select state from voice_calls where call_sid = ? and ended "
                               "is null", (call_sid,)).fetchone()
        raw = self._open(row[0]) if row else None
        return None if raw is None else CallState(**json.loads(raw))

    async def save(self, call_sid: str, state: CallState) -> None:
        # An ended call's state is not written back by a step that was still running.
        self._db.execute(
            "insert into voice_calls values (?, ?, null, ?) on conflict (call_sid) do "
            "update set state = excluded.state where voice_calls.ended is null",
            (call_sid, self._clock(), self._sealer.seal(json.dumps(asdict(state)))))

    def _open(self, sealed: str | None) -> str | None:
        return None if sealed is None else self._sealer.open(sealed)


def open_voice_store(path: Path, sealer: Sealer,
                     handle: RedisHandle | None = None) -> CallStore:
    """Redis with a handle (shared state), else the SQLite file (blocking: makes its tables)."""
    if handle is not None:
        return RedisVoiceStore(handle, sealer)
    return VoiceStore(path, sealer)
