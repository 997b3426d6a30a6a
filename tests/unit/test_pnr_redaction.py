import pytest

from common.personal_number import redact


def redact_personal_numbers(text: str) -> str:
    return redact(text).text


@pytest.mark.parametrize(("text", "redacted"), [
    ("mitt pnr är 19121212-1212", "mitt pnr är PNR_REDACTED"),
    ("121212-1212", "PNR_REDACTED"),
    ("191212121212 tack", "PNR_REDACTED tack"),
    ("1212121212", "PNR_REDACTED"),
    ("ring 0771-524 524", "ring 0771-524 524"),
    ("år 2026", "år 2026"),
])
def test_personal_numbers_never_reach_rasa(text: str, redacted: str) -> None:
    assert redact_personal_numbers(text) == redacted
