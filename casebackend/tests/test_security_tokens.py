"""Attack: a token meant for one caller used for another caller's routes.

The web chat's lookup token (held by the internet-facing Rasa replicas) tries to read a person's
profile, cases and payments and to place an order; the notifier's token (the backend -> assistant
direction) tries every route here. Each is refused before any handler runs, and the answer holds
no person's data.
"""

from __future__ import annotations

import httpx
import pytest

from casebackend.settings import DatabaseSettings
from tests.support import LOOKUP_TOKEN, NOTICES_TOKEN, Api, assert_problem, row_counts


def _leaks(response: httpx.Response, refs: dict[str, str]) -> list[str]:
    text = response.text
    return [
        word
        for word in ("items", "given_name", "amount_ore", "Tolvan", *refs.values())
        if word in text
    ]


@pytest.mark.parametrize("resource", ["", "cases", "payments"])
def test_the_lookup_token_cannot_read_a_person(
    api: Api, refs: dict[str, str], resource: str
) -> None:
    response = api.person(refs["Tolvan"], resource, token=LOOKUP_TOKEN)
    assert_problem(response, 403, "forbidden")
    assert _leaks(response, refs) == []


def test_the_lookup_token_cannot_place_an_order(
    api: Api, refs: dict[str, str], database: DatabaseSettings
) -> None:
    before = row_counts(database)
    body = {
        "type": "annual_report_basis",
        "principal_ref": refs["Fyra"],
        "idempotency_key": "lookup-token-order-1",
    }
    response = api.order(refs["Elva"], body, token=LOOKUP_TOKEN)
    assert_problem(response, 403, "forbidden")
    assert row_counts(database) == before


def test_the_lookup_token_may_look_up(api: Api) -> None:
    response = api.post(
        "/v1/person-lookups", json={"personnummer": "19121212-1212"}, token=LOOKUP_TOKEN
    )
    assert response.status_code == 200


@pytest.mark.parametrize("resource", ["", "cases", "payments"])
def test_the_notices_token_opens_nothing_here(
    api: Api, refs: dict[str, str], resource: str
) -> None:
    response = api.person(refs["Tolvan"], resource, token=NOTICES_TOKEN)
    assert_problem(response, 401, "unauthorized")
    assert _leaks(response, refs) == []
    lookup = api.post(
        "/v1/person-lookups", json={"personnummer": "19121212-1212"}, token=NOTICES_TOKEN
    )
    assert_problem(lookup, 401, "unauthorized")
    assert _leaks(lookup, refs) == []
