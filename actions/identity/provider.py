"""The identity-provider interface: start an authentication, collect it, cancel it.

Which BankID flow depends on where the person is (the RP API v6's flows): on a phone call with
the agency, a phone authentication that the person initiated (``callInitiator: user``); in an
SMS conversation or a REST integration nobody is on a call, so an authentication on the
person's own device, started by the autostart link the assistant sends, and restricted to
the personnummer given (``requirement.personalNumber``). The text BankID shows
(``userVisibleData``) names the channel, so a push nobody asked for is recognisable.
"""

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


class AuthFlow(str, Enum):
    PHONE = "phone"  # the person called the agency and is on the line
    SAME_DEVICE = "same_device"  # BankID opened by the autostart link on the person's device


@dataclass(frozen=True)
class AuthRequest:
    personal_number: str  # 12 digits
    flow: AuthFlow
    user_visible_data: str  # plain text, shown in the BankID app


@dataclass(frozen=True)
class StartedOrder:
    order_ref: str
    auto_start_token: str | None = None  # the same-device flow's token for the link


def autostart_link(auto_start_token: str) -> str:
    """The universal link that opens BankID on the same device (no redirect back)."""
    return f"https://app.bankid.com/?autostarttoken={auto_start_token}&redirect=null"


class IdentityProviderError(Exception):
    """The provider refused the request or could not be reached."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class IdentityProvider(Protocol):
    # Seconds an unconfirmed order lives: how long it blocks another for the same person.
    @property
    def order_lifetime(self) -> float: ...

    async def start(self, request: AuthRequest) -> StartedOrder:
        """Starts an authentication that only the given person can complete."""

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
