"""Orders: only for a represented principal, idempotent per key, also under concurrency."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from casebackend.schemas import Order
from casebackend.settings import DatabaseSettings
from tests.assertions import assertion
from tests.conftest import Deployment
from tests.expected import NAMES
from tests.fixtures_data import ExtraPeople
from tests.support import TOKEN, Api, assert_problem, row_counts


def _key() -> str:
    return f"test-{uuid.uuid4().hex}"


def _order(principal_ref: str, key: str) -> dict[str, str]:
    return {"type": "annual_report_basis", "principal_ref": principal_ref, "idempotency_key": key}


@pytest.mark.parametrize("channel", ["web", "sms", "voice"])
def test_representative_orders_annual_report_basis(
    api: Api, refs: dict[str, str], database: DatabaseSettings, channel: str
) -> None:
    before = row_counts(database)
    response = api.order(refs["Elva"], _order(refs["Fyra"], _key()), channel=channel)
    assert response.status_code == 201, response.text
    order = Order.model_validate_json(response.text)
    assert re.fullmatch(r"AR-\d{4}-\d{6}", order.order_ref)
    assert order.order_ref.startswith(f"AR-{order.created_at.year}-")
    assert order.principal_ref == refs["Fyra"]
    assert order.status == "received"
    assert order.type == "annual_report_basis"
    assert order.created_at.tzinfo is not None
    assert abs(order.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert row_counts(database) == {**before, "orders": before["orders"] + 1}


def test_same_idempotency_key_returns_the_same_order_without_a_new_row(
    api: Api, refs: dict[str, str], database: DatabaseSettings
) -> None:
    body = _order(refs["Fyra"], _key())
    first = api.order(refs["Elva"], body)
    assert first.status_code == 201
    after_first = row_counts(database)
    for _ in range(3):
        again = api.order(refs["Elva"], body)
        assert again.status_code == 200
        assert again.json() == first.json()
    assert row_counts(database) == after_first


def test_different_keys_make_different_orders(api: Api, refs: dict[str, str]) -> None:
    first = api.order(refs["Elva"], _order(refs["Fyra"], _key())).json()
    second = api.order(refs["Elva"], _order(refs["Fyra"], _key())).json()
    assert first["order_ref"] != second["order_ref"]


@pytest.mark.parametrize("name", [name for name in NAMES if name != "Elva"])
def test_non_representatives_cannot_order(
    api: Api, refs: dict[str, str], database: DatabaseSettings, name: str
) -> None:
    before = row_counts(database)
    for principal in ("Fyra", "Elva", "Tolvan"):
        response = api.order(refs[name], _order(refs[principal], _key()))
        assert_problem(response, 403, "not-representative")
    assert row_counts(database) == before


def test_representative_cannot_order_for_themselves(api: Api, refs: dict[str, str]) -> None:
    response = api.order(refs["Elva"], _order(refs["Elva"], _key()))
    assert_problem(response, 403, "not-representative")


def test_order_as_someone_else_is_forbidden(
    api: Api, refs: dict[str, str], database: DatabaseSettings
) -> None:
    before = row_counts(database)
    response = api.order(refs["Elva"], _order(refs["Fyra"], _key()), acting=refs["Fyra"])
    assert_problem(response, 403, "forbidden")
    assert row_counts(database) == before


def test_key_reused_for_another_principal_is_409(
    api: Api, extra: ExtraPeople, database: DatabaseSettings
) -> None:
    key = _key()
    first, second = extra.principal_refs
    assert api.order(extra.representative_ref, _order(first, key)).status_code == 201
    before = row_counts(database)
    response = api.order(extra.representative_ref, _order(second, key))
    assert_problem(response, 409, "idempotency-key-reused")
    assert row_counts(database) == before
    # The key belongs to its requester: another representative may use the same text.
    other = api.order(extra.representative_ref, _order(second, _key()))
    assert other.status_code == 201


def test_same_key_from_two_requesters_makes_two_orders(
    api: Api, refs: dict[str, str], extra: ExtraPeople
) -> None:
    key = _key()
    mine = api.order(refs["Elva"], _order(refs["Fyra"], key))
    theirs = api.order(extra.representative_ref, _order(extra.principal_refs[0], key))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["order_ref"] != theirs.json()["order_ref"]


def test_concurrent_duplicates_make_one_order(deployment: Deployment, refs: dict[str, str]) -> None:
    body = _order(refs["Fyra"], _key())
    elva = refs["Elva"]
    path = f"/v1/persons/{elva}/orders"

    def headers() -> dict[str, str]:
        # An assertion is good for one request: each of the burst has its own.
        return {
            "Authorization": f"Bearer {TOKEN}",
            "X-Identity-Assertion": assertion(elva, "POST", path),
        }

    before = row_counts(deployment.database)

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(
            base_url=deployment.server.base_url, limits=limits, timeout=30
        ) as client:
            return await asyncio.gather(
                *(client.post(path, json=body, headers=headers()) for _ in range(20))
            )

    responses = asyncio.run(burst())
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 19 + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({response.json()["order_ref"] for response in responses}) == 1
    assert row_counts(deployment.database) == {**before, "orders": before["orders"] + 1}
