"""Keyset pagination of cases and payments: complete, ordered, no duplicates, stable on ties."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest

from tests.fixtures_data import ExtraPeople
from tests.support import Api, assert_problem


def _all_pages(api: Api, ref: str, resource: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        response = api.person(ref, resource, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


@pytest.mark.parametrize(("limit", "sizes"), [(20, [20, 20, 5]), (45, [45]), (44, [44, 1])])
def test_cases_page_through_all_newest_first(
    api: Api, extra: ExtraPeople, limit: int, sizes: list[int]
) -> None:
    pages = _all_pages(api, extra.busy_ref, "cases", limit=limit)
    assert [len(page) for page in pages] == sizes
    items = [item for page in pages for item in page]
    refs = [item["case_ref"] for item in items]
    assert len(set(refs)) == extra.case_count
    keys = [(date.fromisoformat(item["opened_on"]), item["case_ref"]) for item in items]
    assert keys == sorted(keys, reverse=True)


def test_default_page_size_is_20(api: Api, extra: ExtraPeople) -> None:
    body = api.person(extra.busy_ref, "cases").json()
    assert len(body["items"]) == 20
    assert body["next_cursor"]


@pytest.mark.parametrize(("status", "count"), [("open", 22), ("closed", 23), ("all", 45)])
def test_status_filter_across_pages(api: Api, extra: ExtraPeople, status: str, count: int) -> None:
    pages = _all_pages(api, extra.busy_ref, "cases", limit=7, status=status)
    items = [item for page in pages for item in page]
    assert len(items) == count
    if status != "all":
        assert {item["status"] for item in items} == {status}


def test_payments_page_through_all_by_date(api: Api, extra: ExtraPeople) -> None:
    pages = _all_pages(api, extra.busy_ref, "payments", limit=10, **{"from": "2000-01-01"})
    assert [len(page) for page in pages] == [10, 10, 10, 10, 7]
    items = [item for page in pages for item in page]
    assert [item["amount_ore"] for item in items] == [125_000 + i for i in range(47)]
    dates = [item["pay_date"] for item in items]
    assert dates == sorted(dates)


def test_payments_from_today_skip_the_past(api: Api, extra: ExtraPeople) -> None:
    items = [item for page in _all_pages(api, extra.busy_ref, "payments") for item in page]
    assert len(items) == 47 - 12  # four a day, three days in the past
    assert min(item["pay_date"] for item in items) == date.today().isoformat()


def test_cursor_of_one_list_stays_within_the_person(
    api: Api, extra: ExtraPeople, refs: dict[str, str]
) -> None:
    cursor = api.person(extra.busy_ref, "cases", params={"limit": 1}).json()["next_cursor"]
    # Someone else's cursor only positions the caller's own list.
    response = api.person(refs["Tolvan"], "cases", params={"cursor": cursor})
    assert response.status_code == 200
    assert {item["case_ref"] for item in response.json()["items"]} <= {
        "CASE-121201",
        "CASE-121202",
    }


@pytest.mark.parametrize("resource", ["cases", "payments"])
@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", "10 OR 1=1"])
def test_limit_must_be_1_to_100(api: Api, refs: dict[str, str], resource: str, limit: str) -> None:
    response = api.person(refs["Tolvan"], resource, params={"limit": limit})
    assert_problem(response, 422, "validation-error")
    assert "limit" in response.json()["detail"]


@pytest.mark.parametrize("resource", ["cases", "payments"])
@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!!",
        base64.urlsafe_b64encode(b"2026-13-40.1").decode().rstrip("="),
        base64.urlsafe_b64encode(b"2026-01-01").decode().rstrip("="),
        base64.urlsafe_b64encode(b"2026-01-01.1; DROP TABLE cases").decode().rstrip("="),
        "A" * 300,
    ],
)
def test_invalid_cursor_is_422(api: Api, refs: dict[str, str], resource: str, cursor: str) -> None:
    response = api.person(refs["Tolvan"], resource, params={"cursor": cursor})
    assert_problem(response, 422, "validation-error")
    assert "cursor" in response.json()["detail"]
