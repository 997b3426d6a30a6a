"""The tables: staff and their sessions, handoffs with their messages, call-back requests, and
the audit log. Times are UTC (naive on SQLite, so read them through vocabulary.as_utc)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))  # agent | supervisor
    # None for staff who sign in through OIDC only.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # demo | oidc
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the cookie's value: a copy of the table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(
            "NOT protected_identity OR display_name IS NULL", name="ck_handoffs_protected_no_name"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(160), index=True)
    # The conversation id while the handoff is open, else NULL: the unique index makes
    # "one open handoff per conversation" hold under concurrent requests too.
    open_conversation_id: Mapped[str | None] = mapped_column(
        String(160), unique=True, nullable=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    identified: Mapped[bool] = mapped_column(Boolean)
    # Never set for a protected identity.
    display_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    protected_identity: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10), index=True)  # waiting | active | closed
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The resume call to the assistant: pending | delivered | failed (retried), None before.
    resume_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    resume_attempts: Mapped[int] = mapped_column(Integer, default=0)
    resume_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("handoff_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(10))  # citizen | bot | agent
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    # Agent messages only: pending | delivered | failed (retried until delivered).
    delivery_status: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Callback(Base):
    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    phone_sealed: Mapped[str] = mapped_column(Text)  # Fernet token
    preferred_time: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
