"""The identity-provider interface: start a phone authentication, collect it, cancel it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class AuthStatus(str, Enum):
    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"


class Outcome(str, Enum):
    """What the conversation tells the user; BankID's hint codes mapped to a few cases."""

    WAITING = "waiting"            # not yet confirmed in the app
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"        # the user cancelled or declined
    EXPIRED = "expired"            # not confirmed in time
    FAILED = "failed"              # anything else (certificate, app, start failed)
    WRONG_PERSON = "wrong_person"  # completed, but by someone else than the number given


@dataclass(frozen=True)
class Collected:
    status: AuthStatus
    hint_code: str | None = None
    personal_number: str | None = None  # only when complete; 12 digits


class IdentityProviderError(Exception):
    """The provider refused the request or could not be reached."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class IdentityProvider(Protocol):
    async def start_phone_auth(self, personal_number: str, call_initiator: str) -> str:
        """Starts an authentication for the 12-digit number; returns the order reference."""

    async def collect(self, order_ref: str) -> Collected: ...

    async def cancel(self, order_ref: str) -> None: ...


_CANCEL_HINTS = {"userCancel", "cancelled", "userDeclinedCall"}
_EXPIRED_HINTS = {"expiredTransaction"}


def outcome_of(collected: Collected, expected_personal_number: str) -> Outcome:
    if collected.status is AuthStatus.PENDING:
        return Outcome.WAITING
    if collected.status is AuthStatus.COMPLETE:
        if collected.personal_number != expected_personal_number:
            return Outcome.WRONG_PERSON
        return Outcome.CONFIRMED
    if collected.hint_code in _CANCEL_HINTS:
        return Outcome.CANCELLED
    if collected.hint_code in _EXPIRED_HINTS:
        return Outcome.EXPIRED
    return Outcome.FAILED
