"""Bad input of every kind gets a clear 4xx problem, and nothing is written."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest

from casebackend.settings import DatabaseSettings
from tests.conftest import Deployment
from tests.support import TOKEN, Api, assert_problem, row_counts

SQL_METACHARACTERS = [
    "' OR '1'='1",
    "'; DROP TABLE persons; --",
    '" OR 1=1 --',
    "1; DELETE FROM orders",
    "%' --",
    "Robert'); DROP TABLE cases;--",
    "' UNION SELECT personnummer_hash FROM persons --",
    "admin'/*",
    "\\'; SELECT pg_sleep(5); --",
]
TEN_MEGABYTES = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def nothing_written(database: DatabaseSettings) -> Iterator[None]:
    """Every test in this module must leave every table exactly as large as it was."""
    before = row_counts(database)
    yield
    assert row_counts(database) == before


def _valid_order(refs: dict[str, str]) -> dict[str, object]:
    return {
        "type": "annual_report_basis",
        "principal_ref": refs["Fyra"],
        "idempotency_key": "bad-input-never-written",
    }


# ---- JSON bodies ----

MALFORMED_JSON = [
    b"",
    b"{",
    b'{"personnummer": }',
    b"{'personnummer': '191212121212'}",
    b'{"personnummer": "191212121212",}',
    b"nul",
    b"\xff\xfe{}",
    b'{"personnummer": "191212121212"} trailing',
]


@pytest.mark.parametrize("body", MALFORMED_JSON)
def test_malformed_json_is_400(api: Api, refs: dict[str, str], body: bytes) -> None:
    assert_problem(api.post("/v1/person-lookups", content=body), 400, "malformed-request")
    response = api.post(f"/v1/persons/{refs['Elva']}/orders", content=body, acting=refs["Elva"])
    assert_problem(response, 400, "malformed-request")


@pytest.mark.parametrize("body", [b"[]", b"null", b"1", b'"191212121212"', b"true"])
def test_json_that_is_not_an_object_is_422(api: Api, refs: dict[str, str], body: bytes) -> None:
    response = api.post("/v1/person-lookups", content=body)
    assert_problem(response, 422, "validation-error")
    response = api.post(f"/v1/persons/{refs['Elva']}/orders", content=body, acting=refs["Elva"])
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_body_must_be_declared_json(api: Api, content_type: str | None) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = api.client.post(
        "/v1/person-lookups", content=b'{"personnummer": "191212121212"}', headers=headers
    )
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({}, "personnummer", "required"),
        ({"personnummer": "191212121212", "name": "x"}, "name", "unknown field"),
        ({"personnummer": 191212121212}, "personnummer", "string"),
        ({"personnummer": None}, "personnummer", "string"),
        ({"personnummer": ["191212121212"]}, "personnummer", "string"),
        ({"personnummer": {"value": "191212121212"}}, "personnummer", "string"),
        ({"personnummer": True}, "personnummer", "string"),
    ],
)
def test_lookup_fields(api: Api, body: object, field: str, says: str) -> None:
    response = api.post("/v1/person-lookups", json=body)
    assert_problem(response, 422, "validation-error")
    detail = response.json()["detail"]
    assert field in detail and says in detail, detail
    assert "191212121212" not in response.text


INVALID_PERSONNUMMER = [
    "19121212-1213",  # check digit
    "19121312-1212",  # month 13
    "19120230-1215",  # 30 February
    "21121212-1212",  # in the future
    "1912121212",  # short form of a 2019 date: wrong check digit
    "19121212121",  # 11 digits
    "1912121212123",  # 13 digits
    "19121212 1212",
    "19121212--1212",
    "191212121212+",
    "19121212+1212",  # '+' only in the short form
    "abcdefghijkl",
    "١٩١٢١٢١٢١٢١٢",  # Arabic-Indic digits
    "",
    "1" * 21,
]


@pytest.mark.parametrize("number", INVALID_PERSONNUMMER)
def test_invalid_personnummer_is_422_and_not_echoed(api: Api, number: str) -> None:
    response = api.post("/v1/person-lookups", json={"personnummer": number})
    assert_problem(response, 422, "validation-error")
    assert "personnummer" in response.json()["detail"]
    if number:
        assert number not in response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "annual_report"}, "type"),
        ({"type": None}, "type"),
        ({"principal_ref": 42}, "principal_ref"),
        ({"principal_ref": "short"}, "principal_ref"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "k" * 65}, "idempotency_key"),
        ({"idempotency_key": "has space in it"}, "idempotency_key"),
        ({"idempotency_key": 12345678}, "idempotency_key"),
        ({"extra": "field"}, "extra"),
    ],
)
def test_order_fields(
    api: Api, refs: dict[str, str], change: dict[str, object], field: str
) -> None:
    body = {**_valid_order(refs), **change}
    response = api.order(refs["Elva"], body)
    assert_problem(response, 422, "validation-error")
    assert field in response.json()["detail"]


@pytest.mark.parametrize("missing", ["type", "principal_ref", "idempotency_key"])
def test_order_missing_field(api: Api, refs: dict[str, str], missing: str) -> None:
    body = {key: value for key, value in _valid_order(refs).items() if key != missing}
    response = api.order(refs["Elva"], body)
    assert_problem(response, 422, "validation-error")
    assert f"{missing}: required" in response.json()["detail"]


# ---- SQL metacharacters: every string field, path parameter, header and query parameter ----


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
def test_sql_metacharacters_in_personnummer(api: Api, payload: str) -> None:
    response = api.post("/v1/person-lookups", json={"personnummer": payload})
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
@pytest.mark.parametrize("field", ["type", "principal_ref", "idempotency_key"])
def test_sql_metacharacters_in_order_fields(
    api: Api, refs: dict[str, str], payload: str, field: str
) -> None:
    response = api.order(refs["Elva"], {**_valid_order(refs), field: payload})
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
@pytest.mark.parametrize("resource", ["", "/cases", "/payments"])
def test_sql_metacharacters_in_path_ref(
    api: Api, refs: dict[str, str], payload: str, resource: str
) -> None:
    path = f"/v1/persons/{quote(payload, safe='')}{resource}"
    # As someone else: refused before any lookup.
    assert_problem(api.get(path, acting=refs["Tolvan"]), 403, "forbidden")
    # An assertion naming that "person": not a person reference, so not a valid assertion.
    assert_problem(api.get(path, acting=payload), 401, "unauthorized")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
def test_sql_metacharacters_in_order_path_ref(api: Api, refs: dict[str, str], payload: str) -> None:
    path = f"/v1/persons/{quote(payload, safe='')}/orders"
    response = api.post(path, json=_valid_order(refs), acting=refs["Elva"])
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
def test_sql_metacharacters_in_the_assertion_header(
    api: Api, refs: dict[str, str], payload: str
) -> None:
    response = api.person(refs["Tolvan"], "cases", headers={"X-Identity-Assertion": payload})
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
@pytest.mark.parametrize(
    ("resource", "parameter"),
    [
        ("cases", "status"),
        ("cases", "cursor"),
        ("cases", "limit"),
        ("payments", "from"),
        ("payments", "cursor"),
        ("payments", "limit"),
    ],
)
def test_sql_metacharacters_in_query_parameters(
    api: Api, refs: dict[str, str], payload: str, resource: str, parameter: str
) -> None:
    response = api.person(refs["Tolvan"], resource, params={parameter: payload})
    assert_problem(response, 422, "validation-error")


# ---- query strings ----


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-1-1", "20260101", "yesterday", "1700000000", "2026-01-01T00:00"]
)
def test_bad_from_date_is_422(api: Api, refs: dict[str, str], value: str) -> None:
    response = api.person(refs["Tolvan"], "payments", params={"from": value})
    assert_problem(response, 422, "validation-error")
    assert "from" in response.json()["detail"]


@pytest.mark.parametrize("resource", ["cases", "payments"])
def test_unknown_query_parameter_is_422(api: Api, refs: dict[str, str], resource: str) -> None:
    response = api.person(refs["Tolvan"], resource, params={"sort": "amount"})
    assert_problem(response, 422, "validation-error")
    assert "sort: unknown field" in response.json()["detail"]


def test_repeated_query_parameter_is_422(api: Api, refs: dict[str, str]) -> None:
    path = f"/v1/persons/{refs['Tolvan']}/cases?status=open&status=closed"
    response = api.get(path, acting=refs["Tolvan"])
    assert_problem(response, 422, "validation-error")


def test_status_must_be_known(api: Api, refs: dict[str, str]) -> None:
    response = api.person(refs["Tolvan"], "cases", params={"status": "pending"})
    assert_problem(response, 422, "validation-error")


# ---- size ----


def _raw_request(base_url: str, head: bytes, body_chunks: Iterator[bytes]) -> bytes:
    """Send a request by hand, stop sending as soon as the server answers, return the answer."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=10) as conn:
        conn.sendall(head)
        for chunk in body_chunks:
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                break
            try:
                conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 20:
            part = conn.recv(65536)
            if not part:
                break
            answer += part
        return answer


def _head(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def _ten_megabytes(chunk_size: int = 65536) -> Iterator[bytes]:
    prefix = b'{"personnummer": "'
    yield prefix
    sent = len(prefix)
    while sent < TEN_MEGABYTES:
        yield b"1" * chunk_size
        sent += chunk_size


def _status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    assert b"content-type: application/problem+json" in head.lower()
    return status, json.loads(body)


@pytest.mark.parametrize("path", ["/v1/person-lookups", "/v1/persons/{elva}/orders"])
def test_ten_megabyte_body_with_length_is_413(
    deployment: Deployment, refs: dict[str, str], path: str
) -> None:
    head = _head(path.format(elva=refs["Elva"]), f"Content-Length: {TEN_MEGABYTES}\r\n")
    status, body = _status_and_body(
        _raw_request(deployment.server.base_url, head, _ten_megabytes())
    )
    assert status == 413
    assert body["type"] == "/problems/payload-too-large"


def test_ten_megabyte_chunked_body_is_413(deployment: Deployment) -> None:
    def chunked() -> Iterator[bytes]:
        for chunk in _ten_megabytes():
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        yield b"0\r\n\r\n"

    head = _head("/v1/person-lookups", "Transfer-Encoding: chunked\r\n")
    status, body = _status_and_body(_raw_request(deployment.server.base_url, head, chunked()))
    assert status == 413
    assert body["status"] == 413


def test_body_just_under_the_limit_is_read(api: Api) -> None:
    body = json.dumps({"personnummer": "19121212-1212", "padding": "x" * 60_000}).encode()
    response = api.post("/v1/person-lookups", content=body)
    assert_problem(response, 422, "validation-error")  # read and validated, not refused for size
