"""The demo loader: exactly the specified rows, idempotent, dates relative to the load day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from casebackend import migrations
from casebackend.contact import decrypt_mobile
from casebackend.db.engine import create_engine
from casebackend.db.models import Person
from casebackend.demo.loader import load_demo
from casebackend.settings import DatabaseSettings
from tests.support import PNR_KEY, PROJECT, row_counts, run, snapshot


def _run_demo_command(database: DatabaseSettings) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CASEBACKEND_")
    }
    environment.update(CASEBACKEND_DATABASE_URL=database.url, CASEBACKEND_PNR_KEY=PNR_KEY)
    if database.schema:
        environment["CASEBACKEND_DATABASE_SCHEMA"] = database.schema
    return subprocess.run(
        [sys.executable, "-m", "casebackend.demo"],
        env=environment,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_demo_command_twice_gives_the_same_rows(empty_database: DatabaseSettings) -> None:
    migrations.upgrade(empty_database)
    first = _run_demo_command(empty_database)
    assert first.returncode == 0, first.stderr
    rows = snapshot(empty_database)
    second = _run_demo_command(empty_database)
    assert second.returncode == 0, second.stderr
    assert snapshot(empty_database) == rows
    assert first.stdout.splitlines()[1:] == second.stdout.splitlines()[1:]  # same refs printed
    assert row_counts(empty_database) == {
        "persons": 5,
        "representations": 1,
        "cases": 4,
        "case_events": 7,
        "payments": 8,
        "orders": 0,
        "notices": 0,
    }


def test_demo_output_and_database_hold_no_personnummer(empty_database: DatabaseSettings) -> None:
    migrations.upgrade(empty_database)
    result = _run_demo_command(empty_database)
    stored = repr(snapshot(empty_database))
    for number in ("191212121212", "1212121212", "1010101010", "1111111116", "4004040400"):
        assert number not in result.stdout + result.stderr
        assert number not in stored
    for mobile in ("+46701740605", "701740605", "+46701740606", "701740606"):
        assert mobile not in result.stdout + result.stderr
        assert mobile not in stored
    assert "CASEBACKEND_CONTACT_KEY is not set" in result.stderr


def _sms_choices(database: DatabaseSettings, key: bytes) -> dict[str, tuple[bool, str | None]]:
    async def read() -> dict[str, tuple[bool, str | None]]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(Person.given_name, Person.sms_notifications, Person.mobile_number_enc)
                )
                return {
                    name: (choice, None if token is None else decrypt_mobile(token, key))
                    for name, choice, token in rows
                }
        finally:
            await engine.dispose()

    return run(read())


def test_demo_sms_choices_and_numbers(empty_database: DatabaseSettings) -> None:
    migrations.upgrade(empty_database)
    key = b"test-contact-key"
    run(load_demo(empty_database, PNR_KEY.encode(), date.today(), contact_key=key))
    expected = {
        "Tolvan": (True, "+46701740605"),
        "Tio": (True, "+46701740606"),
        "Elva": (False, None),
        "Fyra": (False, None),
        "Åtta": (False, None),
    }
    assert _sms_choices(empty_database, key) == expected
    before = snapshot(empty_database)
    run(load_demo(empty_database, PNR_KEY.encode(), date.today(), contact_key=key))
    assert snapshot(empty_database) == before  # the same tokens: nothing re-encrypted
    # Another key (rotated): the numbers are encrypted anew and readable under it.
    run(load_demo(empty_database, PNR_KEY.encode(), date.today(), contact_key=b"rotated-key"))
    assert _sms_choices(empty_database, b"rotated-key") == expected


def _dates(rows: dict[str, list[tuple[Any, ...]]]) -> list[date]:
    return [
        value
        for table in rows.values()
        for row in table
        for value in row
        if isinstance(value, date)
    ]


def test_a_later_load_moves_the_dates_and_keeps_the_rows(empty_database: DatabaseSettings) -> None:
    migrations.upgrade(empty_database)
    today = date.today()
    run(load_demo(empty_database, PNR_KEY.encode(), today))
    before = snapshot(empty_database)
    run(load_demo(empty_database, PNR_KEY.encode(), today + timedelta(days=3)))
    after = snapshot(empty_database)
    assert _dates(after) == [value + timedelta(days=3) for value in _dates(before)]

    def without_dates(rows: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        return [
            tuple(value for value in row if not isinstance(value, date))
            for table in rows.values()
            for row in table
        ]

    assert without_dates(after) == without_dates(before)


def test_demo_command_explains_an_unmigrated_database(empty_database: DatabaseSettings) -> None:
    result = _run_demo_command(empty_database)
    assert result.returncode == 1
    assert "make migrate" in result.stderr
    assert "Traceback" not in result.stderr
