"""SMS notices: the person's choice and encrypted mobile number; the notices asked for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Plain ALTER TABLE ADD/DROP COLUMN on every database (SQLite >= 3.35 drops columns itself): a
batch copy of `persons` would drop the table, and SQLite's foreign keys would cascade that to
every case. The vocabularies are written out here, not imported (see 0001).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column(
        "persons",
        sa.Column("sms_notifications", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("persons", sa.Column("mobile_number_enc", sa.Text(), nullable=True))
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.CheckConstraint(
            one_of("event", ("payment_scheduled", "complement_requested")),
            name="ck_notices_event",
        ),
        sa.CheckConstraint(
            one_of("status", ("sent", "skipped", "failed")), name="ck_notices_status"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_notices_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("idempotency_key", name="uq_notices_idempotency_key"),
    )
    op.create_index("ix_notices_case_id", "notices", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_notices_case_id", table_name="notices")
    op.drop_table("notices")
    op.drop_column("persons", "mobile_number_enc")
    op.drop_column("persons", "sms_notifications")
