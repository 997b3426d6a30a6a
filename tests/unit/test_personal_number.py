import datetime as dt

import pytest

from common.personal_number import REDACTED, luhn_valid, parse, redact

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


# How people type it: phones' keyboards make en dashes and non-breaking hyphens, people group
# digits with spaces or a dot, and some input methods give full-width digits.
TYPED_SPELLINGS = [
    "19121212\u20131212",  # en dash
    "19121212\u20111212",  # non-breaking hyphen
    "19121212\u22121212",  # minus sign
    "19121212 \u2013 1212",
    "1912 1212 1212",
    "19121212.1212",
    "19121212\u00a01212",  # no-break space
    "\uff11\uff19\uff11\uff12\uff11\uff12\uff11\uff12\uff0d\uff11\uff12\uff11\uff12",
    "1912\u202f1212\u202f1212",  # narrow no-break spaces
]


@pytest.mark.parametrize("text", TYPED_SPELLINGS, ids=ascii)
def test_numbers_typed_as_people_type_them_are_understood(text: str) -> None:
    parsed = parse(text, TODAY)
    assert parsed is not None and parsed.digits == "191212121212"


@pytest.mark.parametrize("text", TYPED_SPELLINGS, ids=ascii)
def test_numbers_typed_as_people_type_them_are_redacted_in_a_sentence(text: str) -> None:
    redaction = redact(f"mitt nummer är {text}, tack", TODAY)
    assert redaction.text == f"mitt nummer är {REDACTED}, tack"
    assert [n.digits for n in redaction.valid] == ["191212121212"]


@pytest.mark.parametrize(("text", "digits"), [
    ("080808 08 08", "200808080808"),  # the 10-digit form with the last four split
    ("080808.0808", "200808080808"),
    ("121212 + 12 12", "191212121212"),
    ("0808\u200908\u20130808", "200808080808"),  # thin space and en dash
])
def test_ten_digit_numbers_typed_with_separators_are_understood(text: str, digits: str) -> None:
    parsed = parse(text, TODAY)
    assert parsed is not None and parsed.digits == digits


def test_a_ten_digit_spelling_that_is_no_valid_number_is_still_redacted() -> None:
    # "191212 12 12" reads as 2019-12-12 with a wrong check digit: asked again, never stored.
    redaction = redact("191212 12 12", TODAY)
    assert redaction.text == REDACTED and not redaction.valid and redaction.invalid_count == 1


@pytest.mark.parametrize("text", [
    "ring 0771-524 524",  # the support line: no group boundary where a date would end
    "12 345 kr den 2026-12-25",
    "ärende 1234 och 5678",
    "kl. 08.00-16.00",
])
def test_other_numbers_in_text_are_left_alone(text: str) -> None:
    assert redact(text, TODAY).text == text


def test_a_number_followed_by_other_digits_is_still_found() -> None:
    redaction = redact("19121212-1212 2 st", TODAY)
    assert redaction.text == f"{REDACTED} 2 st"
    assert [n.digits for n in redaction.valid] == ["191212121212"]


def test_a_twelve_digit_number_with_a_plus_is_redacted_but_not_valid() -> None:
    redaction = redact("19121212+1212", TODAY)
    assert redaction.text == REDACTED and not redaction.valid and redaction.invalid_count == 1


@pytest.mark.parametrize("text", ["19400404", "191212121", "19121212121", "1912121212120"])
def test_a_near_miss_is_redacted_as_an_invalid_number(text: str) -> None:
    # A birth date alone or a digit too few or too many is personal data, and an attempt.
    redaction = redact(f"det är {text}", TODAY)
    assert redaction.text == f"det är {REDACTED}" and not redaction.valid
    assert redaction.invalid_count == 1
