"""A local stand-in for BankID, the default identity provider.

The demo persons confirm after a short delay (configurable). Two documented numbers, valid
but belonging to no demo person, simulate the other endings (docs/identity.md):
``19000101-0008`` cancels in the app, ``19000202-0006`` never confirms and expires.
Everything else the simulator does not know fails with ``startFailed``.

Its orders are kept in this process (``MemoryOrders``), or in Redis (``RedisOrders``, with
``ASSISTANT_REDIS_URL``) so that an order started on one action server can be collected on
another. Times are wall-clock seconds, the same on every host.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

from actions.identity.provider import (
    AuthFlow,
    AuthRequest,
    AuthStatus,
    Collected,
    IdentityProviderError,
    StartedOrder,
)
from common.shared_state import RedisHandle

DEMO_PERSONS = frozenset({"191212121212", "191010101010", "191111111116", "194004040400",
                          "200808080808"})
SIMULATES_CANCEL = "190001010008"
SIMULATES_TIMEOUT = "190002020006"


@dataclass
class SimulatedOrder:
    personal_number: str
    started: float
    cancelled: bool = False
    completed: bool = False


class SimulatorOrders(Protocol):
    async def add(self, order_ref: str, order: SimulatedOrder, waits_until: float) -> bool:
        """Keeps the order unless another order for the same number is still waiting (one
        neither completed nor cancelled, started before ``order.started`` and waiting until
        ``waits_until`` at the latest): then False, and nothing is kept."""

    async def get(self, order_ref: str) -> SimulatedOrder | None: ...

    async def finish(self, order_ref: str, *, completed: bool = False,
                     cancelled: bool = False) -> None:
        """Marks the order completed or cancelled: it no longer blocks a new one."""


class MemoryOrders:
    def __init__(self) -> None:
        self._orders: dict[str, SimulatedOrder] = {}
        self._expire: dict[str, float] = {}

    async def add(self, order_ref: str, order: SimulatedOrder, waits_until: float) -> bool:
        if any(o.personal_number == order.personal_number and not o.cancelled
               and not o.completed and order.started < self._expire[ref]
               for ref, o in self._orders.items()):
            return False
        self._orders[order_ref] = order
        self._expire[order_ref] = waits_until
        return True

    async def get(self, order_ref: str) -> SimulatedOrder | None:
        return self._orders.get(order_ref)

    async def finish(self, order_ref: str, *, completed: bool = False,
                     cancelled: bool = False) -> None:
        order = self._orders.get(order_ref)
        if order is not None:
            order.completed = order.completed or completed
            order.cancelled = order.cancelled or cancelled


# The waiting index: one key per number (an HMAC of it, never the number) holding the
# waiting order's reference until it expires, completes or is cancelled.
_ADD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 0 end
redis.call('HSET', KEYS[2], 'number', ARGV[3], 'started', ARGV[4], 'waiting', KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""
_FINISH = """
local waiting = redis.call('HGET', KEYS[1], 'waiting')
if waiting == false then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], '1')
if redis.call('GET', waiting) == ARGV[2] then redis.call('DEL', waiting) end
return 1
"""


class RedisOrders:
    """Orders in Redis, for several action servers. The number is stored Fernet-encrypted
    (the vault's key) and indexed by an HMAC of it; an order is kept ``keep_seconds``."""

    def __init__(self, handle: RedisHandle, key: bytes, keep_seconds: float = 600.0) -> None:
        self._handle = handle
        self._fernet = Fernet(key)
        self._index_key = hashlib.sha256(b"simulator-index:" + key).digest()
        self._keep_ms = int(keep_seconds * 1000)

    def _order_key(self, order_ref: str) -> str:
        return self._handle.key("bankid-simulator", "order", order_ref)

    async def add(self, order_ref: str, order: SimulatedOrder, waits_until: float) -> bool:
        digest = hmac.new(self._index_key, order.personal_number.encode(), "sha256").hexdigest()
        waiting_ms = max(1, math.ceil((waits_until - order.started) * 1000))
        number = self._fernet.encrypt(order.personal_number.encode()).decode("ascii")
        added = await self._handle.client().eval(
            _ADD, 2, self._handle.key("bankid-simulator", "waiting", digest),
            self._order_key(order_ref), order_ref, waiting_ms, number, repr(order.started),
            max(self._keep_ms, waiting_ms))
        return int(added) == 1

    async def get(self, order_ref: str) -> SimulatedOrder | None:
        fields = await self._handle.client().hgetall(self._order_key(order_ref))
        if not fields:
            return None
        try:
            number = self._fernet.decrypt(str(fields["number"]).encode("ascii")).decode()
        except (InvalidToken, KeyError):
            return None
        return SimulatedOrder(number, float(fields["started"]),
                              cancelled=fields.get("cancelled") == "1",
                              completed=fields.get("completed") == "1")

    async def finish(self, order_ref: str, *, completed: bool = False,
                     cancelled: bool = False) -> None:
        for field, wanted in (("completed", completed), ("cancelled", cancelled)):
            if wanted:
                await self._handle.client().eval(_FINISH, 1, self._order_key(order_ref),
                                                 field, order_ref)


class BankIdSimulator:
    def __init__(self, confirm_after: float = 2.0, expire_after: float = 30.0,
                 clock: Callable[[], float] = time.time,
                 orders: SimulatorOrders | None = None) -> None:
        self._confirm_after = confirm_after
        self._expire_after = expire_after
        self._clock = clock
        self._orders: SimulatorOrders = orders or MemoryOrders()

    @property
    def order_lifetime(self) -> float:
        """Seconds an unconfirmed order lives."""
        return self._expire_after

    async def start(self, request: AuthRequest) -> StartedOrder:
        if not request.user_visible_data or len(request.personal_number) != 12:
            raise IdentityProviderError("invalidParameters")
        # As BankID: only an order still waiting blocks a new one (a completed one does not).
        order_ref = secrets.token_hex(16)
        now = self._clock()
        if not await self._orders.add(order_ref, SimulatedOrder(request.personal_number, now),
                                      now + self._expire_after):
            raise IdentityProviderError("alreadyInProgress")
        token = secrets.token_hex(16) if request.flow is AuthFlow.SAME_DEVICE else None
        return StartedOrder(order_ref, token)

    async def collect(self, order_ref: str) -> Collected:
        order = await self._orders.get(order_ref)
        if order is None:
            raise IdentityProviderError("invalidParameters")
        age = self._clock() - order.started
        if order.cancelled:
            return Collected(AuthStatus.FAILED, "cancelled")
        if order.personal_number == SIMULATES_CANCEL and age >= self._confirm_after:
            # As BankID: a cancelled order is over, so the person may start a new one at once.
            await self._orders.finish(order_ref, cancelled=True)
            return Collected(AuthStatus.FAILED, "userCancel")
        if order.personal_number in DEMO_PERSONS and age >= self._confirm_after:
            await self._orders.finish(order_ref, completed=True)
            return Collected(AuthStatus.COMPLETE, None, order.personal_number)
        if order.personal_number not in DEMO_PERSONS | {SIMULATES_CANCEL, SIMULATES_TIMEOUT}:
            return Collected(AuthStatus.FAILED, "startFailed")
        if age >= self._expire_after:
            return Collected(AuthStatus.FAILED, "expiredTransaction")
        return Collected(AuthStatus.PENDING, "outstandingTransaction")

    async def cancel(self, order_ref: str) -> None:
        if await self._orders.get(order_ref) is None:
            raise IdentityProviderError("invalidParameters")
        await self._orders.finish(order_ref, cancelled=True)
