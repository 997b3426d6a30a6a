"""Initial tables: persons, representations, cases, case_events, payments, orders.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

The vocabularies are written out here, not imported: a migration must keep creating what it
created when it was written, whatever the code says later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BENEFITS = (
    "sjukpenning",
    "bostadsbidrag",
    "aktivitetsstod",
    "foraldrapenning",
    "tillfallig_foraldrapenning",
    "sjukersattning",
    "aktivitetsersattning",
    "handikappersattning",
    "barnbidrag",
    "underhallsstod",
)
EVENT_TYPES = (
    "application_received",
    "medical_certificate_received",
    "complement_requested",
    "complement_received",
    "decision_made",
    "payment_scheduled",
)


def one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_ref", sa.String(64), nullable=False),
        sa.Column("personnummer_hash", sa.String(64), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("protected_identity", sa.Boolean(), nullable=False),
        sa.Column("has_used_mina_sidor", sa.Boolean(), nullable=False),
        sa.Column("has_benefit_certificate", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("person_ref", name="uq_persons_person_ref"),
        sa.UniqueConstraint("personnummer_hash", name="uq_persons_personnummer_hash"),
    )
    op.create_table(
        "representations",
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.CheckConstraint(
            one_of("role", ("god_man", "forvaltare")), name="ck_representations_role"
        ),
        sa.CheckConstraint("representative_id <> principal_id", name="ck_representations_not_self"),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["persons.id"],
            name="fk_representations_representative_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["persons.id"],
            name="fk_representations_principal_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("representative_id", "principal_id", name="pk_representations"),
    )
    op.create_index("ix_representations_principal_id", "representations", ["principal_id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("benefit", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("accepts_attachments", sa.Boolean(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("expected_decision_by", sa.Date(), nullable=True),
        sa.CheckConstraint(one_of("benefit", BENEFITS), name="ck_cases_benefit"),
        sa.CheckConstraint(one_of("status", ("open", "closed")), name="ck_cases_status"),
        sa.CheckConstraint(
            "(status = 'open' AND closed_on IS NULL) "
            "OR (status = 'closed' AND closed_on IS NOT NULL)",
            name="ck_cases_closed_on_matches_status",
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on", name="ck_cases_closed_after_opened"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_cases_person_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("case_ref", name="uq_cases_case_ref"),
    )
    op.create_index("ix_cases_person_id_opened_on_id", "cases", ["person_id", "opened_on", "id"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.CheckConstraint(one_of("type", EVENT_TYPES), name="ck_case_events_type"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_events_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
    )
    op.create_index("ix_case_events_case_id_occurred_on", "case_events", ["case_id", "occurred_on"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("benefit", sa.String(40), nullable=False),
        sa.Column("pay_date", sa.Date(), nullable=False),
        sa.Column("amount_ore", sa.Integer(), nullable=False),
        sa.Column("preliminary", sa.Boolean(), nullable=False),
        sa.CheckConstraint(one_of("benefit", BENEFITS), name="ck_payments_benefit"),
        sa.CheckConstraint("amount_ore >= 0", name="ck_payments_amount_not_negative"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_payments_person_id_persons", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_payments_case_id_cases", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    op.create_index(
        "ix_payments_person_id_pay_date_id", "payments", ["person_id", "pay_date", "id"]
    )
    op.create_index("ix_payments_case_id", "payments", ["case_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_ref", sa.String(40), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.CheckConstraint(one_of("type", ("annual_report_basis",)), name="ck_orders_type"),
        sa.CheckConstraint(one_of("status", ("received",)), name="ck_orders_status"),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["persons.id"],
            name="fk_orders_requester_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["persons.id"],
            name="fk_orders_principal_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("order_ref", name="uq_orders_order_ref"),
        sa.UniqueConstraint(
            "requester_id", "idempotency_key", name="uq_orders_requester_id_idempotency_key"
        ),
    )
    op.create_index("ix_orders_principal_id", "orders", ["principal_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_principal_id", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_payments_case_id", table_name="payments")
    op.drop_index("ix_payments_person_id_pay_date_id", table_name="payments")
    op.drop_table("payments")
    op.drop_index("ix_case_events_case_id_occurred_on", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_cases_person_id_opened_on_id", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_representations_principal_id", table_name="representations")
    op.drop_table("representations")
    op.drop_table("persons")
