"""The phone channel's memory of a call: its state between webhooks and each step's answer.

Twilio posts once per call step (the Gather's action carries ``step=N``); a retried request
for the same CallSid and step gets the stored answer back and is not processed again. No
phone number is stored: calls are keyed by CallSid, conversations by an opaque id.

``VoiceStore`` keeps it in a SQLite file (the embedded default); ``RedisVoiceStore`` in Redis
(``ASSISTANT_REDIS_URL``), so that Twilio's next request for a call, or a retried or
redirected one, may reach any replica: a replica that did not start a step waits for the
step's answer to appear in the store.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from bot.locales import SOURCE
from common.shared_state import RedisHandle

# A step still without an answer this long after it began was abandoned (its process died).
ABANDONED_STEP_SECONDS = 60.0
# How long a call's state and answers are kept in Redis (calls are far shorter).
CALL_RETENTION_SECONDS = 6 * 3600


@dataclass
class CallState:
    conversation_id: str
    language: str = SOURCE.code
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


@dataclass(frozen=True)
class StepAnswer:
    known: bool        # the step was begun (and not abandoned)
    twiml: str | None  # its answer, once there is one


class CallStore(Protocol):
    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        """Claims the step: ``first`` for the one request that processes it."""

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None: ...

    async def answer(self, call_sid: str, step: int) -> StepAnswer: ...

    async def load(self, call_sid: str) -> CallState | None: ...

    async def save(self, call_sid: str, state: CallState) -> None: ...


class VoiceStore:
    """The embedded default: one SQLite file in write-ahead-log mode, one connection kept open.

    Its statements run on the event loop rather than in a thread: each is one indexed row on a
    local file whose commits do not wait for the disk (``synchronous=NORMAL``), a few tens of
    microseconds, where a thread hop and a new connection per call cost a voice turn more than
    the statements themselves (measured with py-spy under 20 concurrent calls). Several
    replicas use RedisVoiceStore instead.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=5, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A crash of the process loses nothing; a power cut may lose the last steps.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("create table if not exists calls (call_sid text primary key, "
                         "state text not null, updated real not null)")
        self._db.execute("create table if not exists steps (call_sid text not null, "
                         "step integer not null, twiml text, created real not null, "
                         "primary key (call_sid, step))")

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        cursor = self._db.execute("insert or ignore into steps values (?, ?, null, ?)",
                                  (call_sid, step, self._clock()))
        if cursor.rowcount == 1:
            return StepStart(True, None)
        row = self._db.execute("select twiml from steps where call_sid = ? and step = ?",
                               (call_sid, step)).fetchone()
        return StepStart(False, row[0] if row else None)

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None:
        self._db.execute("update steps set twiml = ? where call_sid = ? and step = ?",
                         (twiml, call_sid, step))

    async def answer(self, call_sid: str, step: int) -> StepAnswer:
        row = self._db.execute("select twiml, created from steps where call_sid = ? and "
                               "step = ?", (call_sid, step)).fetchone()
        if row is None:
            return StepAnswer(False, None)
        if row[0] is None and self._clock() - float(row[1]) > ABANDONED_STEP_SECONDS:
            return StepAnswer(False, None)
        return StepAnswer(True, row[0])

    async def load(self, call_sid: str) -> CallState | None:
        row = self._db.execute("select state from calls where call_sid = ?",
                               (call_sid,)).fetchone()
        return None if row is None else CallState(**json.loads(row[0]))

    async def save(self, call_sid: str, state: CallState) -> None:
        self._db.execute("insert or replace into calls values (?, ?, ?)",
                         (call_sid, json.dumps(asdict(state)), self._clock()))


_PENDING = ""  # a step's value while it is processed; an answer is never empty TwiML


class RedisVoiceStore:
    """Steps as ``<prefix>voice:step:<CallSid>:<N>`` (empty while processed: that marker
    lives ``ABANDONED_STEP_SECONDS``, so a step whose process died is forgotten), call state
    as JSON under ``voice:call:<CallSid>``."""

    def __init__(self, handle: RedisHandle,
                 retention_seconds: float = CALL_RETENTION_SECONDS,
                 abandoned_seconds: float = ABANDONED_STEP_SECONDS) -> None:
        self._handle = handle
        self._retention_ms = int(retention_seconds * 1000)
        self._abandoned_ms = int(abandoned_seconds * 1000)

    def _step(self, call_sid: str, step: int) -> str:
        return self._handle.key("voice", "step", call_sid, str(step))

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        client = self._handle.client()
        key = self._step(call_sid, step)
        if await client.set(key, _PENDING, nx=True, px=self._abandoned_ms):
            return StepStart(True, None)
        twiml = await client.get(key)
        return StepStart(False, twiml or None)

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None:
        await self._handle.client().set(self._step(call_sid, step), twiml,
                                        px=self._retention_ms)

    async def answer(self, call_sid: str, step: int) -> StepAnswer:
        twiml = await self._handle.client().get(self._step(call_sid, step))
        return StepAnswer(twiml is not None, twiml or None)

    async def load(self, call_sid: str) -> CallState | None:
        raw = await self._handle.client().get(self._handle.key("voice", "call", call_sid))
        return None if raw is None else CallState(**json.loads(raw))

    async def save(self, call_sid: str, state: CallState) -> None:
        await self._handle.client().set(self._handle.key("voice", "call", call_sid),
                                        json.dumps(asdict(state)), px=self._retention_ms)


def open_voice_store(path: Path, handle: RedisHandle | None = None) -> CallStore:
    """Redis with a handle (shared state), else the SQLite file (blocking: makes its tables)."""
    if handle is not None:
        return RedisVoiceStore(handle)
    return VoiceStore(path)
