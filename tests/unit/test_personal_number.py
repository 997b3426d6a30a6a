import datetime as dt

import pytest

from connectors.personal_number import REDACTED, luhn_valid, parse, redact

TODAY = dt.date(2026, 11, 28)
DEMO = ["19121212-1212", "19101010-1010", "19111111-1116", "19400404-0400", "20080808-0808"]


@pytest.mark.parametrize("number", DEMO)
def test_demo_persons_are_valid_in_every_form(number: str) -> None:
    digits = number.replace("-", "")
    ten = digits[2:8] + ("+" if TODAY.year - int(digits[:4]) >= 100 else "-") + digits[8:]
    for form in (number, digits, ten, ten.replace("-", ""), f" {number} "):
        if form == ten.replace("-", "") and "+" in ten:
            continue  # without its '+' a 100-year-old's 10-digit number means someone else
        parsed = parse(form, TODAY)
        assert parsed is not None and parsed.digits == digits, form


@pytest.mark.parametrize(("text", "expected"), [
    ("121212-1212", "201212121212"),  # a 10-digit number means someone under 100 ...
    ("121212+1212", "191212121212"),  # ... unless it has a '+'
    ("400404-0400", "194004040400"),
])
def test_ten_digit_century(text: str, expected: str) -> None:
    parsed = parse(text, TODAY)
    assert parsed is not None and parsed.digits == expected


def test_samordningsnummer_is_accepted() -> None:
    number = parse("19121272-1219", TODAY)
    assert number is not None and number.coordination
    assert number.birth_date == dt.date(1912, 12, 12)


@pytest.mark.parametrize("text", [
    "19121212-1213",  # Luhn
    "19121312-1212",  # month 13
    "19120230-1212",  # 30 February
    "20301212-1212",  # born in the future
    "19121212+1212",  # '+' only in the 10-digit form
    "1912121212",  # read as 2019-12-12 with a wrong check digit
    "abc", "", "19121212-12120",
])
def test_invalid_numbers_are_refused(text: str) -> None:
    assert parse(text, TODAY) is None


def test_luhn() -> None:
    assert luhn_valid("1212121212") and not luhn_valid("1212121213")


def test_redaction_replaces_valid_and_mistyped_numbers_and_number_shaped_phones() -> None:
    redaction = redact("pnr 19121212-1212, fel 19121312-1212, ring 0771524524, 123", TODAY)
    assert redaction.text == f"pnr {REDACTED}, fel {REDACTED}, ring {REDACTED}, 123"
    assert [n.digits for n in redaction.valid] == ["191212121212"]
    assert redaction.invalid_count == 2


def test_redaction_of_text_without_numbers_changes_nothing() -> None:
    redaction = redact("när kommer pengarna?", TODAY)
    assert redaction.text == "när kommer pengarna?" and not redaction.found
