"""The SMS channel's state as the channel sees it: the numbered choices, what a turn reads
first, and the interface both stores keep (``SmsStore`` in SQLite, ``RedisSmsStore``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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
