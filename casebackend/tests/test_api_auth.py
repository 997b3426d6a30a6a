"""The service token: every /v1 route refuses a missing or wrong token before doing anything."""

from __future__ import annotations

import httpx
import pytest

from casebackend.settings import DatabaseSettings
from tests.support import TOKEN, Api, assert_problem, row_counts


def _v1_calls(refs: dict[str, str]) -> list[tuple[str, str, object]]:
    tolvan, elva, fyra = refs["Tolvan"], refs["Elva"], refs["Fyra"]
    order = {"type": "annual_report_basis", "principal_ref": fyra, "idempotency_key": "auth-key-1"}
    return [
        ("POST", "/v1/person-lookups", {"personnummer": "19121212-1212"}),
        ("GET", f"/v1/persons/{tolvan}", None),
        ("GET", f"/v1/persons/{tolvan}/cases", None),
        ("GET", f"/v1/persons/{tolvan}/payments", None),
        ("POST", f"/v1/persons/{elva}/orders", order),
    ]


BAD_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    f"Basic {TOKEN}",
    "Bearer wrong-token",
    f"Bearer {TOKEN}x",
    f"Bearer {TOKEN[:-1]}",
    f"Bearer {TOKEN.upper()}",
]


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATIONS)
def test_every_v1_route_needs_the_service_token(
    http: httpx.Client, refs: dict[str, str], database: DatabaseSettings, authorization: str | None
) -> None:
    before = row_counts(database)
    for method, path, body in _v1_calls(refs):
        acting = path.split("/")[3] if "persons" in path else ""
        headers = {"X-Acting-Person": acting, "X-Channel": "web"}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = http.request(method, path, json=body, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert row_counts(database) == before


def test_the_right_token_is_accepted_with_any_scheme_case(api: Api, refs: dict[str, str]) -> None:
    response = api.person(refs["Tolvan"], token=None, headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200


def test_health_and_openapi_need_no_token(http: httpx.Client) -> None:
    assert http.get("/health").status_code == 200
    assert http.get("/openapi.json").status_code == 200


def test_unknown_routes_and_methods_are_problems(http: httpx.Client, api: Api) -> None:
    assert_problem(http.get("/v2/anything"), 404, "not-found")
    assert_problem(api.request("DELETE", "/v1/person-lookups"), 405, "method-not-allowed")
    assert_problem(http.post("/health"), 405, "method-not-allowed")
