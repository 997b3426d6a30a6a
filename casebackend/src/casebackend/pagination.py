"""Keyset pagination: a page of items and an opaque cursor for the position after its last item.

Both paginated lists are ordered by a date and then the row id, so one cursor shape serves both:
"<YYYY-MM-DD>.<id>" in URL-safe base64. A cursor only moves within rows the caller may already
read (queries always filter by the person), so it needs no signature; it is still parsed strictly.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from casebackend.problems import VALIDATION_ERROR, Problem

T = TypeVar("T")

_POSITION = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.([0-9]{1,18})")


@dataclass(frozen=True)
class Position:
    """The sort key of the last item on a page."""

    on: date
    id: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Position | None


def encode_cursor(position: Position) -> str:
    raw = f"{position.on.isoformat()}.{position.id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        match = _POSITION.fullmatch(raw)
        if match is None:
            raise ValueError(cursor)
        return Position(on=date.fromisoformat(match[1]), id=int(match[2]))
    except (ValueError, binascii.Error):
        raise Problem(
            VALIDATION_ERROR, "cursor: not a cursor from a previous page of this list"
        ) from None


def paginate(rows: list[T], limit: int, position_of: Callable[[T], Position]) -> Page[T]:
    """Cut the rows of a query that fetched `limit + 1` to learn whether a next page exists."""
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items=items, next=position_of(items[-1]) if more and items else None)
