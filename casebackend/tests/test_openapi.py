"""The OpenAPI document: served = committed = generated, and it describes every route."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx

from casebackend.app import RESOURCES, create_app
from casebackend.openapi import build_document, openapi_path, render
from casebackend.settings import DatabaseSettings, Settings
from tests.support import PROJECT

COMMITTED = PROJECT / "openapi.json"


def _app_settings() -> Settings:
    return Settings(
        database=DatabaseSettings(url="sqlite+aiosqlite:///unused.db"),
        actions_token="t",
        assertion_public_key=bytes(32),
        pnr_key=b"k",
    )


def test_served_document_equals_the_committed_file(http: httpx.Client) -> None:
    served = http.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_committed_file_is_what_the_export_script_writes() -> None:
    # `make openapi` after a model change, then commit: this fails until then.
    assert COMMITTED.read_text(encoding="utf-8") == render(build_document(RESOURCES))


def test_export_script_check_mode_passes() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/export_openapi.py", "--check"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_route_of_the_app_is_in_the_document() -> None:
    app = create_app(_app_settings())
    document: dict[str, Any] = app.ctx.openapi_document
    routes = {
        (openapi_path("/" + route.path), method.lower())
        for route in app.router.routes
        for method in route.methods
    }
    assert routes, "the app has no routes"
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_document_basics() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    for name in ("OrderRequest", "PersonLookupRequest"):
        assert schemas[name]["additionalProperties"] is False
    cases = document["paths"]["/v1/persons/{ref}/cases"]["get"]
    parameters = {parameter["name"] for parameter in cases["parameters"]}
    assert parameters == {"ref", "status", "limit", "cursor", "X-Identity-Assertion"}
    assert cases["security"] == [{"serviceToken": []}]
    assert "application/problem+json" in cases["responses"]["403"]["content"]
    assert document["paths"]["/health"]["get"]["security"] == []
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for media in response["content"].values():
                    ref = media["schema"]["$ref"]
                    assert ref.removeprefix("#/components/schemas/") in schemas
