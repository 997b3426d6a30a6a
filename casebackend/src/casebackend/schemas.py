"""Request and response models of the API (pydantic v2). Extra fields are forbidden everywhere.

The OpenAPI document is generated from these models, so they are the contract.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, StringConstraints

from casebackend.vocabulary import (
    Benefit,
    CaseEventType,
    CaseStatus,
    OrderStatus,
    OrderType,
    RepresentativeRole,
)

REF_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone would also take timestamps and other shapes.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
PersonRef = Annotated[
    str,
    StringConstraints(pattern=REF_PATTERN),
    Field(description="Opaque reference to a person, from POST /v1/person-lookups."),
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QueryModel(BaseModel):
    # Query strings are text: numbers and dates are parsed from it (lax), unknown keys refused.
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- health ----


class Health(StrictModel):
    status: Literal["ok"]
    database: Literal["ok"]


class Ready(StrictModel):
    status: Literal["ready"]
    database: Literal["ok"]
    schema_revision: str = Field(description="The Alembic revision the database is at (head).")


class MetricsText(RootModel[str]):
    """Prometheus metrics in the text exposition format (OpenMetrics when asked for)."""


# ---- person lookup ----


class PersonLookupRequest(StrictModel):
    personnummer: str = Field(
        max_length=20,
        description="10 or 12 digits, with or without '-' or '+' before the last four.",
        examples=["19121212-1212"],
    )


class PersonLookupResult(StrictModel):
    person_ref: PersonRef


# ---- persons ----


class Representation(StrictModel):
    person_ref: PersonRef = Field(description="The principal this person represents.")
    role: RepresentativeRole


class PersonProfile(StrictModel):
    person_ref: PersonRef
    given_name: str
    protected_identity: bool
    has_used_mina_sidor: bool
    has_benefit_certificate: bool
    representative_for: list[Representation]


# ---- cases ----


PAGE_SIZE_DESCRIPTION = "Items per page, 1 to 100."
CURSOR_DESCRIPTION = "The next_cursor of the previous page; absent for the first page."


class CasesQuery(QueryModel):
    status: Literal["open", "closed", "all"] = Field(
        default="all", description="Which cases: open, closed or all."
    )
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=PAGE_SIZE_DESCRIPTION
    )
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN, description=CURSOR_DESCRIPTION)


class CaseEvent(StrictModel):
    type: CaseEventType
    occurred_on: date


class Case(StrictModel):
    case_ref: str
    benefit: Benefit
    status: CaseStatus
    accepts_attachments: bool
    opened_on: date
    closed_on: date | None
    expected_decision_by: date | None
    events: list[CaseEvent] = Field(description="Newest first.")


class CasePage(StrictModel):
    items: list[Case] = Field(description="Newest opened first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


# ---- payments ----


class PaymentsQuery(QueryModel):
    from_: IsoDate | None = Field(
        default=None, alias="from", description="First pay date to include; default today."
    )
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=PAGE_SIZE_DESCRIPTION
    )
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN, description=CURSOR_DESCRIPTION)


class Payment(StrictModel):
    benefit: Benefit
    pay_date: date
    amount_ore: int = Field(ge=0, description="Amount in öre (1 krona = 100 öre).")
    preliminary: bool


class PaymentPage(StrictModel):
    items: list[Payment] = Field(description="By pay date, earliest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


# ---- orders ----


class OrderRequest(StrictModel):
    type: OrderType
    principal_ref: PersonRef
    idempotency_key: str = Field(
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Chosen by the caller; the same key again returns the same order.",
    )


class Order(StrictModel):
    order_ref: str = Field(examples=["AR-2026-000042"])
    type: OrderType
    principal_ref: PersonRef
    status: OrderStatus
    created_at: datetime


# ---- errors ----


class ProblemDetails(StrictModel):
    """RFC 9457 problem details; `type` is a URI relative to the service."""

    type: str
    title: str
    status: int
    detail: str


class DatabaseProblem(ProblemDetails):
    database: Literal["unavailable"]


class NotReadyProblem(ProblemDetails):
    database: Literal["unavailable", "not_migrated"]
