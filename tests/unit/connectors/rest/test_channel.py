"""The redacting REST channel's request checks (the HTTP path is in tests/e2e)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.rest.channel import RedactingRestInput


@pytest.mark.parametrize("body", [
    None,
    [1, 2],
    {"message": "hej"},
    {"sender": "", "message": "hej"},
    {"sender": "s" * 201, "message": "hej"},
    {"sender": "a", "message": 5},
    {"sender": "a", "message": "x" * 101},
    {"sender": "a", "message": "hej", "metadata": "x"},
    {"sender": "a", "message": "hej", "message_id": ""},
    {"sender": "a", "message": "hej", "message_id": 7},
    {"sender": "a", "message": "hej", "message_id": "m" * 101},
])
def test_bad_requests_get_a_reason(body: Any) -> None:
    assert RedactingRestInput(max_message_chars=100)._problem(body)


@pytest.mark.parametrize("body", [
    {"sender": "a", "message": "hej"},
    {"sender": "a", "message": "", "metadata": {"language": "en"}},
    {"sender": "a", "message": "x" * 100},
    {"sender": "a", "message": "hej", "message_id": "3f2a9c1e-7d4b-4e0a-9a51-0c2f6b8e1d77"},
])
def test_good_requests_pass(body: Any) -> None:
    assert RedactingRestInput(max_message_chars=100)._problem(body) is None


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="max_message_chars"):
        RedactingRestInput.from_credentials({"max_message_chars": 0})
