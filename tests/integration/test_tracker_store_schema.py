"""Replicas that start at once on a fresh PostgreSQL database all get a working tracker store.

CI once lost a scale-out run because the second replica died creating the bounded store's
snapshot table and indexes while the first was creating them. Here several stores are made at
the same moment, each in its own thread, on a database made for the test (the machine's
PostgreSQL, or ``ASSISTANT_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator

import psycopg2
import pytest
import sqlalchemy as sa
from psycopg2 import sql

from bot.tracker_store import BoundedSQLTrackerStore

SERVER_URL = os.environ.get("ASSISTANT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
STORES_AT_ONCE = 6


def _admin() -> psycopg2.extensions.connection:
    try:
        connection = psycopg2.connect(f"{SERVER_URL}/postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        pytest.fail(f"this test needs the PostgreSQL at {SERVER_URL} ({error})")
    connection.autocommit = True
    return connection


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"schema_race_{secrets.token_hex(4)}"
    admin = _admin()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        admin.close()


def test_stores_made_at_once_on_a_fresh_database_all_work(fresh_database: str) -> None:
    host_port = SERVER_URL.split("@", 1)[-1]
    host, _, port = host_port.partition(":")
    start = threading.Barrier(STORES_AT_ONCE)
    stores: list[BoundedSQLTrackerStore] = []
    errors: list[BaseException] = []

    def make_store() -> None:
        start.wait()
        try:
            stores.append(BoundedSQLTrackerStore(
                None, dialect="postgresql", host=host, port=int(port or 5432),
                db=fresh_database, username="postgres"))
        except BaseException as error:  # reported below, per thread
            errors.append(error)

    threads = [threading.Thread(target=make_store) for _ in range(STORES_AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(stores) == STORES_AT_ONCE
    with stores[0].engine.connect() as connection:
        indexes = {row[0] for row in connection.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'events'"))}
        snapshots = connection.execute(sa.text(
            "SELECT count(*) FROM tracker_snapshots")).scalar()
    assert {"ix_events_sender_id_id", "ix_events_sender_type_id"} <= indexes
    assert snapshots == 0
    for store in stores:
        store.engine.dispose()
