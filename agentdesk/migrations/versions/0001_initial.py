"""Initial tables: staff, staff_sessions, handoffs, messages, callbacks, audit_log.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(120), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_last_seen_at", "staff_sessions", ["last_seen_at"])
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(40), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("open_conversation_id", sa.String(160), nullable=True, unique=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=True),
        sa.Column("protected_identity", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("taken_at", TIME, nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("resume_status", sa.String(10), nullable=True),
        sa.Column("resume_attempts", sa.Integer(), nullable=False),
        sa.Column("resume_error", sa.String(200), nullable=True),
        # The desk never stores a protected person's name, whatever the code says later.
        sa.CheckConstraint(
            "NOT protected_identity OR display_name IS NULL", name="ck_handoffs_protected_no_name"
        ),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "handoff_id",
            sa.Integer(),
            sa.ForeignKey("handoffs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("delivery_status", sa.String(10), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.UniqueConstraint("handoff_id", "message_id"),
    )
    op.create_index("ix_messages_handoff_id", "messages", ["handoff_id"])
    op.create_index("ix_messages_delivery_status", "messages", ["delivery_status"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(40), nullable=False, unique=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=False),
        sa.Column("preferred_time", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("done_at", TIME, nullable=True),
        sa.Column("done_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_handoff_id", "audit_log", ["handoff_id"])


def downgrade() -> None:
    for table in ("audit_log", "callbacks", "messages", "handoffs", "staff_sessions", "staff"):
        op.drop_table(table)
