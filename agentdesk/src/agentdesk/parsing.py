"""Reading request bodies: JSON objects only, with a reason for every refusal."""

from __future__ import annotations

import json
import re
from typing import Any

from agentdesk.errors import Refusal, bad_request
from agentdesk.settings import TEXT_MAX_BYTES

UUIDISH = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def json_object(body: bytes) -> dict[str, Any]:
    if not body:
        raise bad_request("the body must be a JSON object")
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise bad_request("the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise bad_request("the body must be a JSON object")
    return parsed


def text_field(body: dict[str, Any], name: str, *, limit: int = TEXT_MAX_BYTES) -> str:
    """A non-empty string, at most `limit` bytes in UTF-8 (larger: 413)."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be a non-empty string")
    if len(value.encode("utf-8")) > limit:
        raise Refusal(413, f"{name} is longer than {limit} bytes")
    return value.strip()


def choice(body: dict[str, Any], name: str, allowed: frozenset[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(sorted(allowed))}")
    return value


def flag(body: dict[str, Any], name: str, *, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false")
    return value


def message_id(body: dict[str, Any], name: str = "message_id") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not UUIDISH.match(value):
        raise bad_request(f"{name} must be an id of 8-64 letters, digits or ._:-")
    return value


def optional_text(body: dict[str, Any], name: str, *, limit: int = 120) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string or null")
    if len(value.encode("utf-8")) > limit:
        raise Refusal(413, f"{name} is longer than {limit} bytes")
    return value.strip() or None
