"""Pure functions: personnummer, cursors, vocabularies, redaction, settings."""

from __future__ import annotations

import typing
from datetime import date

import pytest

from casebackend import vocabulary
from casebackend.pagination import Position, decode_cursor, encode_cursor, paginate
from casebackend.personnummer import InvalidPersonnummer, keyed_hash, normalise
from casebackend.problems import Problem
from casebackend.request_log import redact
from casebackend.settings import (
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    DatabaseSettings,
    Settings,
    SettingsError,
)
from tests.assertions import PUBLIC_KEY_TEXT

TODAY = date(2026, 11, 28)
# What the server needs at least: the action server's token and its assertion key.
REQUIRED = {
    "CASEBACKEND_ACTIONS_TOKEN": "secret",
    "CASEBACKEND_ASSERTION_PUBLIC_KEY": PUBLIC_KEY_TEXT,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19121212-1212", "191212121212"),
        ("191212121212", "191212121212"),
        ("121212+1212", "191212121212"),
        ("121212-1212", "201212121212"),
        ("1212121212", "201212121212"),
        (" 19400404-0400 ", "194004040400"),
        ("400404-0400", "194004040400"),
        ("080808-0808", "200808080808"),
        ("19121272-1219", "191212721219"),  # samordningsnummer: day + 60
    ],
)
def test_personnummer_normalises_to_12_digits(text: str, expected: str) -> None:
    assert normalise(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["19121212-1213", "19121312-1212", "19120230-1215", "20261129-0000", "19121212+1212", "x"],
)
def test_personnummer_rejects_without_echo(text: str) -> None:
    with pytest.raises(InvalidPersonnummer) as raised:
        normalise(text, TODAY)
    assert text not in str(raised.value)


def test_century_of_the_short_form_follows_today() -> None:
    assert normalise("261128-0005", date(2026, 11, 28)).startswith("2026")
    assert normalise("261129-0004", date(2026, 11, 28)).startswith("1926")  # 2026-11-29 is ahead


def test_keyed_hash_depends_on_the_key() -> None:
    assert keyed_hash("191212121212", b"a") != keyed_hash("191212121212", b"b")
    assert len(keyed_hash("191212121212", b"a")) == 64
    assert "191212121212" not in keyed_hash("191212121212", b"a")


def test_cursor_round_trip() -> None:
    position = Position(on=date(2026, 1, 2), id=12345)
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("cursor", ["", "@@@", "MjAyNi0wMS0wMg", "eA"])
def test_bad_cursor_is_a_validation_problem(cursor: str) -> None:
    with pytest.raises(Problem) as raised:
        decode_cursor(cursor)
    assert raised.value.kind.status == 422


def test_paginate_knows_whether_more_follow() -> None:
    def position(number: int) -> Position:
        return Position(on=TODAY, id=number)

    assert paginate([1, 2, 3], 2, position).next == Position(on=TODAY, id=2)
    assert paginate([1, 2], 2, position).next is None
    assert paginate([], 2, position).items == []


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (vocabulary.Benefit, vocabulary.BENEFITS),
        (vocabulary.CaseStatus, vocabulary.CASE_STATUSES),
        (vocabulary.CaseEventType, vocabulary.CASE_EVENT_TYPES),
        (vocabulary.RepresentativeRole, vocabulary.REPRESENTATIVE_ROLES),
        (vocabulary.OrderType, vocabulary.ORDER_TYPES),
        (vocabulary.OrderStatus, vocabulary.ORDER_STATUSES),
        (vocabulary.Channel, vocabulary.CHANNELS),
        (vocabulary.NoticeEvent, vocabulary.NOTICE_EVENTS),
        (vocabulary.NoticeStatus, vocabulary.NOTICE_STATUSES),
    ],
)
def test_vocabulary_tuples_match_their_types(literal: object, values: tuple[str, ...]) -> None:
    assert typing.get_args(literal) == values


def test_checked_refuses_unknown_values() -> None:
    assert vocabulary.checked("web", vocabulary.CHANNELS) == "web"
    with pytest.raises(ValueError, match="not one of"):
        vocabulary.checked("fax", vocabulary.CHANNELS)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/persons/191212121212",
        "/v1/persons/19121212-1212/cases",
        "/v1/persons/121212+1212",
        "/x/1212121212/y",
    ],
)
def test_redact_masks_personnummer_shapes(path: str) -> None:
    masked = redact(path)
    assert "[redacted]" in masked
    assert "1212" not in masked.replace("/v1", "")


def test_redact_leaves_refs_and_dates_alone() -> None:
    path = "/v1/persons/7isKmM2fj8vLOfJA1mYfLqKN/payments"
    assert redact(path) == path
    assert redact("2026-11-28") == "2026-11-28"


def test_settings_from_environment() -> None:
    settings = Settings.from_env(
        {
            **REQUIRED,
            "CASEBACKEND_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "CASEBACKEND_DATABASE_SCHEMA": "cases_1",
            "CASEBACKEND_PNR_KEY": "key",
            "CASEBACKEND_PORT": "9000",
        }
    )
    assert settings.database == DatabaseSettings("postgresql+asyncpg://u@h/db", "cases_1")
    assert (settings.pnr_key, settings.port, settings.request_max_size) == (b"key", 9000, 65536)
    assert not settings.uses_dev_pnr_key


def test_settings_defaults() -> None:
    settings = Settings.from_env(REQUIRED)
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.database.url.endswith(f"///{REPO_ROOT / 'var' / 'casebackend.db'}")
    assert (REPO_ROOT / "casebackend" / "pyproject.toml").exists()
    assert (settings.host, settings.port) == ("127.0.0.1", 8100)
    assert settings.uses_dev_pnr_key


@pytest.mark.parametrize(
    ("environment", "mentions"),
    [
        ({"CASEBACKEND_ASSERTION_PUBLIC_KEY": PUBLIC_KEY_TEXT}, "CASEBACKEND_ACTIONS_TOKEN"),
        ({**REQUIRED, "CASEBACKEND_ACTIONS_TOKEN": "  "}, "CASEBACKEND_ACTIONS_TOKEN"),
        ({"CASEBACKEND_ACTIONS_TOKEN": "t"}, "CASEBACKEND_ASSERTION_PUBLIC_KEY"),
        ({**REQUIRED, "CASEBACKEND_ASSERTION_PUBLIC_KEY": "c2hvcnQ"}, "32 bytes"),
        ({**REQUIRED, "CASEBACKEND_LOOKUP_TOKEN": "secret"}, "must all differ"),
        ({**REQUIRED, "ASSISTANT_NOTICES_TOKEN": "secret"}, "must all differ"),
        ({**REQUIRED, "CASEBACKEND_SERVICE_TOKEN": "old"}, "no longer used"),
        ({**REQUIRED, "CASEBACKEND_PORT": "http"}, "CASEBACKEND_PORT"),
        (
            {**REQUIRED, "CASEBACKEND_DATABASE_URL": "mysql://x"},
            "CASEBACKEND_DATABASE_URL",
        ),
        (
            {**REQUIRED, "CASEBACKEND_DATABASE_SCHEMA": "s"},
            "CASEBACKEND_DATABASE_SCHEMA",
        ),
        (
            {
                **REQUIRED,
                "CASEBACKEND_DATABASE_URL": "postgresql+asyncpg://h/d",
                "CASEBACKEND_DATABASE_SCHEMA": "a; DROP",
            },
            "CASEBACKEND_DATABASE_SCHEMA",
        ),
    ],
)
def test_bad_settings_are_refused_clearly(environment: dict[str, str], mentions: str) -> None:
    with pytest.raises(SettingsError, match=mentions):
        Settings.from_env(environment)
