"""A local stand-in for BankID, the default identity provider.

The demo persons confirm after a short delay (configurable). Two documented numbers, valid
but belonging to no demo person, simulate the other endings (docs/identity.md):
``19000101-0008`` cancels in the app, ``19000202-0006`` never confirms and expires.
Everything else the simulator does not know fails with ``startFailed``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from actions.identity.provider import AuthStatus, Collected, IdentityProviderError

DEMO_PERSONS = frozenset({"191212121212", "191010101010", "191111111116", "194004040400",
                          "200808080808"})
SIMULATES_CANCEL = "190001010008"
SIMULATES_TIMEOUT = "190002020006"


@dataclass
class _Order:
    personal_number: str
    started: float
    cancelled: bool = False
    completed: bool = False


class BankIdSimulator:
    def __init__(self, confirm_after: float = 2.0, expire_after: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._confirm_after = confirm_after
        self._expire_after = expire_after
        self._clock = clock
        self._orders: dict[str, _Order] = {}

    async def start_phone_auth(self, personal_number: str, call_initiator: str) -> str:
        if call_initiator not in {"user", "RP"}:
            raise IdentityProviderError("invalidParameters")
        # As BankID: only an order still waiting blocks a new one (a completed one does not).
        if any(o.personal_number == personal_number and not o.cancelled and not o.completed
               and self._clock() - o.started < self._expire_after for o in self._orders.values()):
            raise IdentityProviderError("alreadyInProgress")
        order_ref = secrets.token_hex(16)
        self._orders[order_ref] = _Order(personal_number, self._clock())
        return order_ref

    async def collect(self, order_ref: str) -> Collected:
        order = self._orders.get(order_ref)
        if order is None:
            raise IdentityProviderError("invalidParameters")
        age = self._clock() - order.started
        if order.cancelled:
            return Collected(AuthStatus.FAILED, "cancelled")
        if order.personal_number == SIMULATES_CANCEL and age >= self._confirm_after:
            return Collected(AuthStatus.FAILED, "userCancel")
        if order.personal_number in DEMO_PERSONS and age >= self._confirm_after:
            order.completed = True
            return Collected(AuthStatus.COMPLETE, None, order.personal_number)
        if order.personal_number not in DEMO_PERSONS | {SIMULATES_CANCEL, SIMULATES_TIMEOUT}:
            return Collected(AuthStatus.FAILED, "startFailed")
        if age >= self._expire_after:
            return Collected(AuthStatus.FAILED, "expiredTransaction")
        return Collected(AuthStatus.PENDING, "outstandingTransaction")

    async def cancel(self, order_ref: str) -> None:
        order = self._orders.get(order_ref)
        if order is None:
            raise IdentityProviderError("invalidParameters")
        order.cancelled = True
