"""The phone channel's memory of a call in Redis (``ASSISTANT_REDIS_URL``), so that Twilio's
next request for a call, or a retried or redirected one, may reach any replica: a replica
that did not start a step waits for the step's answer to appear in the store.

Keys (under the shared prefix): ``voice:started:<CallSid>`` and ``voice:ended:<CallSid>``
(times, kept ``ENDED_RETENTION_SECONDS``), the sealed state ``voice:call:<CallSid>``, the
sealed answers ``voice:step:<CallSid>:<N>`` (empty while processed: that marker lives
``ABANDONED_STEP_SECONDS``, so a step whose process died is forgotten) and the set of a
call's step numbers ``voice:steps:<CallSid>``, so its answers are deleted when it ends.
State and answers live at most ``MAX_CALL_SECONDS`` after their last write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict

from common.shared_state import RedisHandle
from connectors.voice.sealing import Sealer
from connectors.voice.state import (
    ABANDONED_STEP_SECONDS,
    ENDED_RETENTION_SECONDS,
    MAX_CALL_SECONDS,
    CallPhase,
    CallState,
    StepAnswer,
    StepStart,
)

_PENDING = ""  # a step's value while it is processed; an answer is never empty TwiML


class RedisVoiceStore:
    def __init__(self, handle: RedisHandle, sealer: Sealer,
                 clock: Callable[[], float] = time.time,
                 abandoned_seconds: float = ABANDONED_STEP_SECONDS) -> None:
        self._handle = handle
        self._sealer = sealer
        self._clock = clock
        self._life_ms = MAX_CALL_SECONDS * 1000
        self._ended_ms = ENDED_RETENTION_SECONDS * 1000
        self._abandoned_ms = int(abandoned_seconds * 1000)

    def _key(self, kind: str, call_sid: str, *rest: str) -> str:
        return self._handle.key("voice", kind, call_sid, *rest)

    async def phase(self, call_sid: str) -> CallPhase:
        started, ended = await self._handle.client().mget(
            self._key("started", call_sid), self._key("ended", call_sid))
        if started is None and ended is None:
            return CallPhase.NEW
        if ended is not None or self._clock() - float(started) > MAX_CALL_SECONDS:
            return CallPhase.OVER
        return CallPhase.ACTIVE

    async def start_call(self, call_sid: str) -> None:
        await self._handle.client().set(self._key("started", call_sid), repr(self._clock()),
                                        nx=True, px=self._ended_ms)

    async def end_call(self, call_sid: str) -> bool:
        client = self._handle.client()
        first = await client.set(self._key("ended", call_sid), repr(self._clock()), nx=True,
                                 px=self._ended_ms)
        steps = await client.smembers(self._key("steps", call_sid))
        await client.delete(self._key("call", call_sid), self._key("steps", call_sid),
                            *(self._key("step", call_sid, str(step)) for step in steps))
        return bool(first)

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        client = self._handle.client()
        key = self._key("step", call_sid, str(step))
        if await client.set(key, _PENDING, nx=True, px=self._abandoned_ms):
            index = self._key("steps", call_sid)
            await client.sadd(index, str(step))
            await client.pexpire(index, self._life_ms)
            return StepStart(True, None)
        sealed = await client.get(key)
        return StepStart(False, self._sealer.open(sealed) if sealed else None)

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None:
        # Only over its own marker: a call that ended meanwhile keeps no answer.
        await self._handle.client().set(self._key("step", call_sid, str(step)),
                                        self._sealer.seal(twiml), xx=True, px=self._life_ms)

    async def answer(self, call_sid: str, step: int) -> StepAnswer:
        sealed = await self._handle.client().get(self._key("step", call_sid, str(step)))
        if sealed is None:
            return StepAnswer(False, None)
        if sealed == _PENDING:
            return StepAnswer(True, None)
        twiml = self._sealer.open(sealed)
        return StepAnswer(twiml is not None, twiml)

    async def load(self, call_sid: str) -> CallState | None:
        sealed = await self._handle.client().get(self._key("call", call_sid))
        raw = self._sealer.open(sealed) if sealed else None
        return None if raw is None else CallState(**json.loads(raw))

    async def save(self, call_sid: str, state: CallState) -> None:
        client = self._handle.client()
        if await client.exists(self._key("ended", call_sid)):
            return  # a step still running when the call ended writes nothing back
        await client.set(self._key("call", call_sid),
                         self._sealer.seal(json.dumps(asdict(state))), px=self._life_ms)
