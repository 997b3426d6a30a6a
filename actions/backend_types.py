"""What the case backend returns, as typed values (the boundary between HTTP and the actions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


class BackendUnavailableError(Exception):
    """The backend could not answer in time (down, slow, circuit open, 5xx)."""


class AccessDeniedError(Exception):
    """The backend refused: not this person's data, or not on this channel."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFoundError(Exception):
    """No such person (or resource)."""


@dataclass(frozen=True)
class CaseEvent:
    type: str
    occurred_on: dt.date


@dataclass(frozen=True)
class Case:
    case_ref: str
    benefit: str
    status: str
    accepts_attachments: bool
    opened_on: dt.date
    expected_decision_by: dt.date | None
    events: tuple[CaseEvent, ...]  # newest first

    @property
    def decided(self) -> bool:
        return any(event.type == "decision_made" for event in self.events)


@dataclass(frozen=True)
class Payment:
    benefit: str
    pay_date: dt.date
    amount_ore: int
    preliminary: bool

    @property
    def amount_kronor(self) -> float:
        return self.amount_ore / 100


@dataclass(frozen=True)
class Representation:
    person_ref: str
    role: str


@dataclass(frozen=True)
class Profile:
    person_ref: str
    given_name: str
    protected_identity: bool
    has_used_mina_sidor: bool
    has_benefit_certificate: bool
    representative_for: tuple[Representation, ...]

    @property
    def is_representative(self) -> bool:
        return bool(self.representative_for)


@dataclass(frozen=True)
class Order:
    order_ref: str
    principal_ref: str
    status: str


@dataclass(frozen=True)
class Caller:
    """Who asks and through which channel; sent with every personal request."""

    person_ref: str
    channel: str  # web | sms | voice
    # The message came through the logged-in web chat: the only place where a person with
    # protected personal data gets case details. Every other channel fails closed.
    logged_in_web: bool = False


class CaseBackend(Protocol):
    async def lookup(self, personnummer: str) -> str:
        """The person's opaque reference (server-to-server; raises NotFoundError)."""

    async def profile(self, caller: Caller) -> Profile: ...

    async def open_cases(self, caller: Caller) -> list[Case]: ...

    async def upcoming_payments(self, caller: Caller) -> list[Payment]: ...

    async def order_annual_report_basis(self, caller: Caller, principal_ref: str,
                                        idempotency_key: str) -> Order: ...


def parse_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def case_from_json(data: dict[str, Any]) -> Case:
    return Case(
        case_ref=str(data["case_ref"]), benefit=str(data["benefit"]), status=str(data["status"]),
        accepts_attachments=bool(data["accepts_attachments"]),
        opened_on=parse_date(data["opened_on"]),
        expected_decision_by=(parse_date(data["expected_decision_by"])
                              if data.get("expected_decision_by") else None),
        events=tuple(CaseEvent(str(e["type"]), parse_date(e["occurred_on"]))
                     for e in data.get("events") or []),
    )


def payment_from_json(data: dict[str, Any]) -> Payment:
    return Payment(benefit=str(data["benefit"]), pay_date=parse_date(data["pay_date"]),
                   amount_ore=int(data["amount_ore"]), preliminary=bool(data["preliminary"]))


def profile_from_json(data: dict[str, Any]) -> Profile:
    return Profile(
        person_ref=str(data["person_ref"]), given_name=str(data.get("given_name") or ""),
        protected_identity=bool(data["protected_identity"]),
        has_used_mina_sidor=bool(data["has_used_mina_sidor"]),
        has_benefit_certificate=bool(data.get("has_benefit_certificate")),
        representative_for=tuple(Representation(str(r["person_ref"]), str(r["role"]))
                                 for r in data.get("representative_for") or []),
    )
