"""Migrations up and down on SQLite and PostgreSQL (a database of its own, dropped after); the
migrated schema matches the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from agentdesk import migrations
from agentdesk.db.engine import create_engine
from agentdesk.db.models import Base
from agentdesk.settings import DatabaseSettings
from tests.support import run

TABLES = {"staff", "staff_sessions", "handoffs", "messages", "callbacks", "audit_log"}


def _read(database: DatabaseSettings, reader: Any) -> Any:
    async def read() -> Any:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(reader)
        finally:
            await engine.dispose()

    return run(read())


def _tables(database: DatabaseSettings) -> set[str]:
    return set(_read(database, lambda c: inspect(c).get_table_names()))


def _differences(database: DatabaseSettings) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    result: list[Any] = _read(database, compare)
    return result


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
