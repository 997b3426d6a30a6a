"""An in-memory case backend for action tests, injected into the actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from actions.backend_types import (
    AccessDeniedError,
    BackendUnavailableError,
    Caller,
    Case,
    CaseEvent,
    NotFoundError,
    Order,
    Payment,
    Profile,
    Representation,
)

TODAY = dt.date(2026, 11, 28)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


@dataclass
class FakeBackend:
    profiles: dict[str, Profile] = field(default_factory=dict)
    cases: dict[str, list[Case]] = field(default_factory=dict)
    payments: dict[str, list[Payment]] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    down: bool = False
    calls: list[tuple[str, Caller]] = field(default_factory=list)
    persons: dict[str, str] = field(default_factory=dict)  # 12-digit number -> person ref

    async def lookup(self, personnummer: str) -> str:
        if self.down:
            raise BackendUnavailableError("down")
        if personnummer not in self.persons:
            raise NotFoundError()
        return self.persons[personnummer]

    def _check(self, name: str, caller: Caller) -> None:
        self.calls.append((name, caller))
        if self.down:
            raise BackendUnavailableError("down")
        if caller.person_ref not in self.profiles:
            raise AccessDeniedError("forbidden")

    async def profile(self, caller: Caller) -> Profile:
        self._check("profile", caller)
        return self.profiles[caller.person_ref]

    async def open_cases(self, caller: Caller) -> list[Case]:
        self._check("open_cases", caller)
        return self.cases.get(caller.person_ref, [])

    async def upcoming_payments(self, caller: Caller) -> list[Payment]:
        self._check("upcoming_payments", caller)
        return self.payments.get(caller.person_ref, [])

    async def order_annual_report_basis(self, caller: Caller, principal_ref: str,
                                        idempotency_key: str) -> Order:
        self._check("order", caller)
        if idempotency_key not in self.orders:
            self.orders[idempotency_key] = Order(f"AR-2026-{len(self.orders) + 1:06d}",
                                                 principal_ref, "received")
        return self.orders[idempotency_key]


def profile(ref: str, protected: bool = False, used: bool = True,
            principals: tuple[str, ...] = ()) -> Profile:
    return Profile(ref, "Namn", protected, used, False,
                   tuple(Representation(p, "god_man") for p in principals))


def demo_backend() -> FakeBackend:
    """The demo persons' situations (DESIGN.md section 7) with fixed dates."""
    sick = Case("C1", "sjukpenning", "open", False, day(-20), day(14),
                (CaseEvent("medical_certificate_received", day(-12)),
                 CaseEvent("application_received", day(-20))))
    housing = Case("C2", "bostadsbidrag", "open", True, day(-6), None,
                   (CaseEvent("complement_requested", day(-2)),
                    CaseEvent("application_received", day(-6))))
    parental = Case("C3", "foraldrapenning", "open", False, day(-30), None,
                    (CaseEvent("decision_made", day(-25)),
                     CaseEvent("application_received", day(-30))))
    return FakeBackend(
        profiles={"tolvan": profile("tolvan"), "tio": profile("tio", protected=True),
                  "elva": profile("elva", principals=("fyra",)), "fyra": profile("fyra"),
                  "atta": profile("atta", used=False)},
        cases={"tolvan": [sick, housing], "tio": [parental]},
        persons={"191212121212": "tolvan", "191010101010": "tio", "191111111116": "elva",
                 "194004040400": "fyra", "200808080808": "atta"},
        payments={"tolvan": [Payment("sjukpenning", day(39), 1234500, True),
                             Payment("sjukpenning", day(9), 1234500, False),
                             Payment("sjukpenning", day(69), 1234500, True)],
                  "tio": [Payment("foraldrapenning", day(5), 876000, False)]},
    )
