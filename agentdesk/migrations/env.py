"""Alembic environment (async): runs the migrations on the configured database.

The database comes from `config.attributes["database_settings"]` when a program (tests, the
demo loader) passes it, else from the environment like the service itself.
"""

from __future__ import annotations

import asyncio
import logging.config

from alembic import context
from sqlalchemy.engine import Connection

from agentdesk.db.engine import create_engine
from agentdesk.db.models import Base
from agentdesk.settings import DatabaseSettings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_settings() -> DatabaseSettings:
    given = config.attributes.get("database_settings")
    if isinstance(given, DatabaseSettings):
        return given
    return DatabaseSettings.from_env()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(_database_settings())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run against a database")
asyncio.run(run_async_migrations())
