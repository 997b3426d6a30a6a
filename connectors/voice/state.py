"""The phone channel's memory of a call as the channel sees it: the call's state between
webhooks, its phase (new, in progress, over), each step's answer, and the interface both
stores keep (``VoiceStore`` in SQLite, ``RedisVoiceStore``).

A call is over once its status callback said so, or once it is older than the longest call
Twilio places (four hours): a request for a call that is over is answered with a hang-up
and never processed, however it was captured. Ended CallSids are remembered far longer
than any step answer, so a replay after the answers are gone is still recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from bot.locales import SOURCE

# Twilio's longest call (its default and largest <Dial>/call timeLimit): no request of a
# call comes later than this after its first.
MAX_CALL_SECONDS = 4 * 3600
# How long a CallSid is remembered as ended; a request for it meanwhile gets a hang-up.
ENDED_RETENTION_SECONDS = 30 * 86400
# A step still without an answer this long after it began was abandoned (its process died).
ABANDONED_STEP_SECONDS = 60.0


class CallPhase(str, Enum):
    NEW = "new"        # never seen: only /incoming may start it
    ACTIVE = "active"
    OVER = "over"      # ended (status callback) or older than MAX_CALL_SECONDS


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
    # The network vouched for the caller id (SHAKEN full attestation): SMS may go to it.
    attested: bool = False


@dataclass(frozen=True)
class StepStart:
    first: bool
    twiml: str | None  # a repeated step's stored answer (None while it is still processed)


@dataclass(frozen=True)
class StepAnswer:
    known: bool        # the step was begun (and not abandoned)
    twiml: str | None  # its answer, once there is one


class CallStore(Protocol):
    async def phase(self, call_sid: str) -> CallPhase: ...

    async def start_call(self, call_sid: str) -> None:
        """Records the call's first request (a repeated start keeps the first time)."""

    async def end_call(self, call_sid: str) -> bool:
        """Marks the call over and drops its state and answers; True the first time."""

    async def begin_step(self, call_sid: str, step: int) -> StepStart:
        """Claims the step: ``first`` for the one request that processes it."""

    async def finish_step(self, call_sid: str, step: int, twiml: str) -> None: ...

    async def answer(self, call_sid: str, step: int) -> StepAnswer: ...

    async def load(self, call_sid: str) -> CallState | None: ...

    async def save(self, call_sid: str, state: CallState) -> None: ...
