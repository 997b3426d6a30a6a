"""The PostgreSQL database and the Redis the scaled-out stack runs on: parsed from URLs, turned
into each process's configuration, and the database prepared (created, schema for the case
backend)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# The case backend's tables live in their own schema beside Rasa's `events` table.
CASEBACKEND_SCHEMA = "casebackend"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg")


class TargetError(ValueError):
    """A database or Redis URL that cannot be used; the message says why."""


@dataclass(frozen=True)
class PostgresTarget:
    host: str
    port: int
    user: str
    password: str | None
    database: str

    @classmethod
    def from_url(cls, url: str) -> PostgresTarget:
        parts = urlsplit(url)
        if parts.scheme not in _POSTGRES_SCHEMES:
            raise TargetError(f"not a PostgreSQL URL (postgresql://user@host:port/db): "
                              f"{parts.scheme}://...")
        database = parts.path.lstrip("/")
        if not database or not database.replace("_", "").isalnum():
            raise TargetError("the PostgreSQL URL must name a database ([A-Za-z0-9_])")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                   user=unquote(parts.username or "postgres"),
                   password=unquote(parts.password) if parts.password else None,
                   database=database)

    def _authority(self) -> str:
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"{credentials}@{self.host}:{self.port}"

    def dsn(self, database: str | None = None) -> str:
        """libpq keyword form (psycopg2)."""
        words = {"host": self.host, "port": str(self.port), "user": self.user,
                 "dbname": database or self.database}
        if self.password:
            words["password"] = self.password
        return " ".join(f"{key}={value}" for key, value in words.items())

    def asyncpg_url(self) -> str:
        """The case backend's CASEBACKEND_DATABASE_URL."""
        return f"postgresql+asyncpg://{self._authority()}/{self.database}"

    def tracker_store(self) -> dict[str, Any]:
        """Rasa's `tracker_store` block (endpoints.yml)."""
        block: dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "url": self.host,
                                 "port": self.port, "db": self.database,
                                 "username": self.user}
        if self.password:
            block["password"] = self.password
        return block

    def prepare(self) -> bool:
        """Creates the database (if missing) and the case backend's schema; True if made."""
        import psycopg2
        from psycopg2 import sql

        created = False
        admin = psycopg2.connect(self.dsn("postgres"))
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (self.database,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(
                        sql.Identifier(self.database)))
                    created = True
        finally:
            admin.close()
        connection = psycopg2.connect(self.dsn())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(CASEBACKEND_SCHEMA)))
        finally:
            connection.close()
        return created

    def drop(self) -> None:
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(self.dsn("postgres"))
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)))
        finally:
            admin.close()


@dataclass(frozen=True)
class RedisTarget:
    host: str
    port: int
    db: int
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> RedisTarget:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise TargetError("not a Redis URL (redis://host:6379/0)")
        path = parts.path.lstrip("/")
        if path and not path.isdigit():
            raise TargetError("the Redis URL's path must be a database number")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                   db=int(path or 0),
                   password=unquote(parts.password) if parts.password else None)

    @property
    def url(self) -> str:
        secret = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{secret}{self.host}:{self.port}/{self.db}"
