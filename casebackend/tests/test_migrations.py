"""Migrations up and down on SQLite and PostgreSQL: they match the models, constraints work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from casebackend import migrations
from casebackend.db.engine import create_engine
from casebackend.db.models import Base, Case, Notice, Order, Payment, Person, Representation
from casebackend.settings import DatabaseSettings
from tests.support import TABLES, run


def _tables(database: DatabaseSettings) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return run(read())


def _differences(database: DatabaseSettings) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def read() -> list[Any]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return run(read())


def test_upgrade_creates_the_tables_of_the_models(empty_database: DatabaseSettings) -> None:
    migrations.upgrade(empty_database)
    assert _tables(empty_database) == {*TABLES, "alembic_version"}
    assert _differences(empty_database) == []


def test_downgrade_removes_everything_and_upgrade_works_again(
    empty_database: DatabaseSettings,
) -> None:
    migrations.upgrade(empty_database)
    migrations.downgrade(empty_database, "base")
    assert _tables(empty_database) <= {"alembic_version"}
    migrations.upgrade(empty_database)
    assert _tables(empty_database) == {*TABLES, "alembic_version"}


def _insert(database: DatabaseSettings, *statements: Any) -> None:
    async def write() -> None:
        engine = create_engine(database)
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(statement)
        finally:
            await engine.dispose()

    run(write())


PERSON = {
    "id": 1,
    "person_ref": "r" * 24,
    "personnummer_hash": "h" * 64,
    "given_name": "A",
    "protected_identity": False,
    "has_used_mina_sidor": False,
    "has_benefit_certificate": False,
}
PERSON_2 = {**PERSON, "id": 2, "person_ref": "s" * 24, "personnummer_hash": "i" * 64}
CASE = {
    "id": 1,
    "case_ref": "C-1",
    "person_id": 1,
    "benefit": "sjukpenning",
    "status": "open",
    "accepts_attachments": False,
    "opened_on": date(2026, 1, 1),
    "closed_on": None,
    "expected_decision_by": None,
}
PAYMENT = {
    "person_id": 1,
    "case_id": 1,
    "benefit": "sjukpenning",
    "pay_date": date(2026, 1, 25),
    "amount_ore": 100,
    "preliminary": False,
}
ORDER = {
    "order_ref": "AR-2026-000001",
    "requester_id": 1,
    "principal_id": 2,
    "type": "annual_report_basis",
    "idempotency_key": "key-00001",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    "status": "received",
}

NOTICE = {
    "case_id": 1,
    "event": "payment_scheduled",
    "idempotency_key": "C-1:payment_scheduled:2026-01-01",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    "status": "sent",
    "decision": "accepted",
}

VIOLATIONS = {
    "negative amount": insert(Payment).values({**PAYMENT, "amount_ore": -1}),
    "unknown benefit on payment": insert(Payment).values({**PAYMENT, "benefit": "lottery"}),
    "unknown benefit on case": insert(Case).values(
        {**CASE, "id": 2, "case_ref": "C-2", "benefit": "x"}
    ),
    "unknown case status": insert(Case).values(
        {**CASE, "id": 2, "case_ref": "C-2", "status": "done"}
    ),
    "closed without date": insert(Case).values(
        {**CASE, "id": 2, "case_ref": "C-2", "status": "closed"}
    ),
    "closed before opened": insert(Case).values(
        {**CASE, "id": 2, "case_ref": "C-2", "status": "closed", "closed_on": date(2025, 1, 1)}
    ),
    "duplicate case ref": insert(Case).values({**CASE, "id": 2}),
    "case of unknown person": insert(Case).values(
        {**CASE, "id": 2, "case_ref": "C-2", "person_id": 99}
    ),
    "unknown role": insert(Representation).values(
        {"representative_id": 1, "principal_id": 2, "role": "parent"}
    ),
    "self representation": insert(Representation).values(
        {"representative_id": 1, "principal_id": 1, "role": "god_man"}
    ),
    "duplicate person ref": insert(Person).values({**PERSON_2, "id": 3, "person_ref": "r" * 24}),
    "duplicate personnummer hash": insert(Person).values(
        {**PERSON_2, "id": 3, "person_ref": "t" * 24, "personnummer_hash": "h" * 64}
    ),
    "unknown order type": insert(Order).values({**ORDER, "type": "other"}),
    "unknown order status": insert(Order).values({**ORDER, "status": "sent"}),
    "unknown notice event": insert(Notice).values({**NOTICE, "event": "decision_made"}),
    "unknown notice status": insert(Notice).values({**NOTICE, "status": "queued"}),
    "notice of unknown case": insert(Notice).values({**NOTICE, "case_id": 99}),
    "duplicate notice key": [
        insert(Notice).values(NOTICE),
        insert(Notice).values({**NOTICE, "status": "failed"}),
    ],
    "duplicate idempotency key": [
        insert(Order).values(ORDER),
        insert(Order).values({**ORDER, "order_ref": "AR-2026-000002"}),
    ],
}


@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_constraints_refuse_bad_rows(empty_database: DatabaseSettings, violation: str) -> None:
    migrations.upgrade(empty_database)
    _insert(
        empty_database,
        insert(Person).values(PERSON),
        insert(Person).values(PERSON_2),
        insert(Case).values(CASE),
        insert(Payment).values(PAYMENT),
    )
    statements = VIOLATIONS[violation]
    with pytest.raises(IntegrityError):
        _insert(empty_database, *(statements if isinstance(statements, list) else [statements]))


def _columns(database: DatabaseSettings, table: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return set(
                    await connection.run_sync(
                        lambda c: {column["name"] for column in inspect(c).get_columns(table)}
                    )
                )
        finally:
            await engine.dispose()

    return run(read())


def _read(database: DatabaseSettings, statement: Any) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(statement)]
        finally:
            await engine.dispose()

    return run(read())


def test_0002_adds_the_sms_columns_and_notices_and_goes_back_keeping_the_data(
    empty_database: DatabaseSettings,
) -> None:
    migrations.upgrade(empty_database, "0001")
    assert "notices" not in _tables(empty_database)
    _insert(
        empty_database,
        text(
            "INSERT INTO persons (id, person_ref, personnummer_hash, given_name, "
            "protected_identity, has_used_mina_sidor, has_benefit_certificate) "
            f"VALUES (1, '{'r' * 24}', '{'h' * 64}', 'A', false, false, false)"
        ),
        insert(Case).values(CASE),
    )
    migrations.upgrade(empty_database, "0002")
    assert _columns(empty_database, "persons") >= {"sms_notifications", "mobile_number_enc"}
    assert _read(
        empty_database, text("SELECT sms_notifications, mobile_number_enc FROM persons")
    ) == [(False, None)]
    _insert(empty_database, insert(Notice).values(NOTICE))
    migrations.downgrade(empty_database, "0001")
    assert "notices" not in _tables(empty_database)
    assert not _columns(empty_database, "persons") & {"sms_notifications", "mobile_number_enc"}
    # The person and the case survived the downgrade (no table copy cascading a delete).
    assert _read(empty_database, text("SELECT count(*) FROM persons")) == [(1,)]
    assert _read(empty_database, text("SELECT count(*) FROM cases")) == [(1,)]
    migrations.upgrade(empty_database)
    assert _differences(empty_database) == []
