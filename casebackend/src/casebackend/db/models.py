"""Table models (SQLAlchemy 2 declarative). The migrations create exactly these tables; a test
compares the migrated database with this metadata."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from casebackend.vocabulary import (
    BENEFITS,
    CASE_EVENT_TYPES,
    CASE_STATUSES,
    NOTICE_EVENTS,
    NOTICE_STATUSES,
    ORDER_STATUSES,
    ORDER_TYPES,
    REPRESENTATIVE_ROLES,
)

# Named constraints, so migrations can drop them by name on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that a column holds one of a closed set of (trusted, constant) values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite keeps no offset, so we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("the database returned a non-datetime for a datetime column")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 (hex) of the 12-digit personnummer: the number itself is never stored.
    personnummer_hash: Mapped[str] = mapped_column(String(64), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    protected_identity: Mapped[bool] = mapped_column(default=False)
    has_used_mina_sidor: Mapped[bool] = mapped_column(default=False)
    has_benefit_certificate: Mapped[bool] = mapped_column(default=False)
    # The person's choice on Mina sidor: SMS notices about their cases, or none.
    sms_notifications: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Fernet token of the E.164 mobile number (casebackend.contact): never logged or returned.
    mobile_number_enc: Mapped[str | None] = mapped_column(Text)


class Representation(Base):
    __tablename__ = "representations"
    __table_args__ = (
        CheckConstraint(one_of("role", REPRESENTATIVE_ROLES), name="role"),
        CheckConstraint("representative_id <> principal_id", name="not_self"),
        Index(None, "principal_id"),
    )

    representative_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    principal_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(one_of("benefit", BENEFITS), name="benefit"),
        CheckConstraint(one_of("status", CASE_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'open' AND closed_on IS NULL) "
            "OR (status = 'closed' AND closed_on IS NOT NULL)",
            name="closed_on_matches_status",
        ),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_opened"),
        # Keyset pagination of a person's cases: newest opened first.
        Index(None, "person_id", "opened_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    benefit: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    accepts_attachments: Mapped[bool] = mapped_column(default=False)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    expected_decision_by: Mapped[date | None] = mapped_column(Date)


class CaseEvent(Base):
    __tablename__ = "case_events"
    __table_args__ = (
        CheckConstraint(one_of("type", CASE_EVENT_TYPES), name="type"),
        Index(None, "case_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date] = mapped_column(Date)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("benefit", BENEFITS), name="benefit"),
        CheckConstraint("amount_ore >= 0", name="amount_not_negative"),
        # Keyset pagination of a person's payments by date.
        Index(None, "person_id", "pay_date", "id"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    benefit: Mapped[str] = mapped_column(String(40))
    pay_date: Mapped[date] = mapped_column(Date)
    amount_ore: Mapped[int] = mapped_column(Integer)
    preliminary: Mapped[bool] = mapped_column(default=False)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("type", ORDER_TYPES), name="type"),
        CheckConstraint(one_of("status", ORDER_STATUSES), name="status"),
        # An idempotency key identifies one order per requester: a retry finds the first row.
        UniqueConstraint("requester_id", "idempotency_key"),
        Index(None, "principal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(40), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    principal_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))


class Notice(Base):
    """A notice the case backend asked the assistant to send (or decided not to)."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(one_of("event", NOTICE_EVENTS), name="event"),
        CheckConstraint(one_of("status", NOTICE_STATUSES), name="status"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    # <case_ref>:<event>:<date>: one notice per case, event and day, whoever reruns it.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(10))
    decision: Mapped[str] = mapped_column(Text)
