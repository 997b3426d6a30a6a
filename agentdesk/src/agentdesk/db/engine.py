"""Engine and session factory for the configured database (SQLite file or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from agentdesk.settings import DatabaseSettings


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the engine; for a SQLite file, also its folder (so a fresh checkout just runs)."""
    url = make_url(settings.url)
    connect_args: dict[str, Any] = {}
    if settings.is_postgresql:
        if settings.schema is not None:
            connect_args["server_settings"] = {"search_path": settings.schema}
        # Bounded waits: a stuck database gives a 503, not a hung request.
        connect_args["timeout"] = 5
        connect_args["command_timeout"] = 10
    elif url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 10  # seconds to wait for a concurrent writer's lock

    # hide_parameters: bound values never appear in exception messages or logs.
    engine = create_async_engine(
        url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True
    )
    if not settings.is_postgresql:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off unless asked (per connection); WAL lets reads run beside
    # a write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: handlers build their responses after writing.
    return async_sessionmaker(engine, expire_on_commit=False)
