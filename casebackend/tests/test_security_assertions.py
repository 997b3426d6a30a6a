"""Attack: a caller with the action server's token but no valid identity assertion tries to read
a person's data, by leaving the assertion out, forging one, stretching or reusing one, claiming a
channel in a header, or naming one person in the assertion and another in the path.

Each is refused (401 for a bad assertion, 403 for another person's path, 403 protected-identity
for a protected person outside the logged-in web chat) and the answer holds no data.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.assertions import FOREIGN_KEY, assertion, claims_for, sign
from tests.support import TOKEN, assert_problem

DATA_WORDS = ("items", "given_name", "amount_ore", "case_ref", "protected_identity")


def _get(http: httpx.Client, path: str, token: str | None, **headers: str) -> httpx.Response:
    all_headers = {"Authorization": f"Bearer {TOKEN}", **headers}
    if token is not None:
        all_headers["X-Identity-Assertion"] = token
    return http.get(path, headers=all_headers)


def _refused(response: httpx.Response, status: int, kind: str) -> None:
    assert_problem(response, status, kind)
    for word in DATA_WORDS:
        assert word not in response.text


def _claims(ref: str, path: str, **changes: Any) -> dict[str, Any]:
    return {**claims_for(ref, "web", True, "GET", path), **changes}


def test_headers_alone_no_longer_say_who_asks(http: httpx.Client, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    response = _get(http, path, None, **{"X-Acting-Person": refs["Tolvan"], "X-Channel": "web"})
    _refused(response, 401, "unauthorized")


def test_a_forged_assertion_is_refused(http: httpx.Client, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    _refused(
        _get(http, path, sign(_claims(refs["Tolvan"], path), FOREIGN_KEY)), 401, "unauthorized"
    )


@pytest.mark.parametrize(
    "header",
    [{"alg": "none"}, {"alg": "HS256"}, {"alg": "EdDSA", "crit": ["exp"]}, {}],
)
def test_another_algorithm_is_refused(
    http: httpx.Client, refs: dict[str, str], header: dict[str, Any]
) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    _refused(
        _get(http, path, sign(_claims(refs["Tolvan"], path), header=header)), 401, "unauthorized"
    )


def test_an_unsigned_assertion_is_refused(http: httpx.Client, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    head, body, _ = sign(_claims(refs["Tolvan"], path)).split(".")
    _refused(_get(http, path, f"{head}.{body}."), 401, "unauthorized")


def test_a_tampered_assertion_is_refused(http: httpx.Client, refs: dict[str, str]) -> None:
    """The claims of Tolvan's assertion swapped for Tio's under Tolvan's signature."""
    tio_path = f"/v1/persons/{refs['Tio']}/payments"
    head, _, signature = sign(_claims(refs["Tolvan"], tio_path)).split(".")
    _, tio_body, _ = sign(_claims(refs["Tio"], tio_path)).split(".")
    _refused(_get(http, tio_path, f"{head}.{tio_body}.{signature}"), 401, "unauthorized")


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 30, "iat": int(time.time()) - 60},  # expired
        {"exp": int(time.time()) + 3600},  # lives an hour
        {"iat": int(time.time()) + 600, "exp": int(time.time()) + 630},  # from the future
        {"aud": "another-service"},
        {"iss": "someone-else"},
        {"jti": None},
        {"logged_in_web": "yes"},
        {"sub": "19121212-1212"},
    ],
)
def test_an_assertion_with_bad_claims_is_refused(
    http: httpx.Client, refs: dict[str, str], changes: dict[str, Any]
) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    claims = {
        key: value
        for key, value in _claims(refs["Tolvan"], path, **changes).items()
        if value is not None
    }
    _refused(_get(http, path, sign(claims)), 401, "unauthorized")


def test_an_assertion_is_good_for_one_request(http: httpx.Client, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/payments"
    token = assertion(refs["Tolvan"], "GET", path)
    assert _get(http, path, token).status_code == 200
    _refused(_get(http, path, token), 401, "unauthorized")


def test_an_assertion_replayed_on_another_route_is_refused(
    http: httpx.Client, refs: dict[str, str]
) -> None:
    """Captured from a profile read (allowed on every channel), replayed to read payments."""
    profile_path = f"/v1/persons/{refs['Tolvan']}"
    token = assertion(refs["Tolvan"], "GET", profile_path, channel="sms")
    _refused(_get(http, profile_path + "/payments", token), 401, "unauthorized")


def test_an_assertion_for_a_on_bs_path_is_refused(http: httpx.Client, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tio']}/payments"
    token = assertion(refs["Tolvan"], "GET", path)
    _refused(_get(http, path, token), 403, "forbidden")


@pytest.mark.parametrize("resource", ["cases", "payments"])
def test_a_web_channel_header_does_not_lift_an_sms_assertion(
    http: httpx.Client, refs: dict[str, str], resource: str
) -> None:
    """Tio has protected identity: an SMS assertion with `X-Channel: web` beside it is still SMS."""
    path = f"/v1/persons/{refs['Tio']}/{resource}"
    token = assertion(refs["Tio"], "GET", path, channel="sms", logged_in_web=False)
    response = _get(http, path, token, **{"X-Channel": "web", "X-Acting-Person": refs["Tio"]})
    _refused(response, 403, "protected-identity")


def test_web_without_the_login_is_not_the_logged_in_web_chat(
    http: httpx.Client, refs: dict[str, str]
) -> None:
    path = f"/v1/persons/{refs['Tio']}/payments"
    token = assertion(refs["Tio"], "GET", path, channel="web", logged_in_web=False)
    _refused(_get(http, path, token), 403, "protected-identity")
