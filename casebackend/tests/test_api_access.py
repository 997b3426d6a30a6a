"""The access rules, enforced by the backend whatever the assistant does."""

from __future__ import annotations

import pytest

from tests.expected import NAMES
from tests.support import Api, assert_problem

PERSON_RESOURCES = ("", "cases", "payments")


@pytest.mark.parametrize("resource", PERSON_RESOURCES)
@pytest.mark.parametrize("name", NAMES)
def test_a_person_cannot_read_another_persons_data(
    api: Api, refs: dict[str, str], resource: str, name: str
) -> None:
    other = "Åtta" if name != "Åtta" else "Tolvan"
    response = api.person(refs[name], resource, acting=refs[other])
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("resource", PERSON_RESOURCES)
def test_a_representative_cannot_read_the_principals_data(
    api: Api, refs: dict[str, str], resource: str
) -> None:
    response = api.person(refs["Fyra"], resource, acting=refs["Elva"])
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("resource", ["cases", "payments"])
@pytest.mark.parametrize("channel", ["sms", "voice", "rest"])
def test_protected_identity_gets_no_details_on_sms_or_voice(
    api: Api, refs: dict[str, str], resource: str, channel: str
) -> None:
    response = api.person(refs["Tio"], resource, channel=channel)
    assert_problem(response, 403, "protected-identity")
    assert "items" not in response.json()


@pytest.mark.parametrize("resource", ["cases", "payments"])
def test_protected_identity_gets_details_in_the_logged_in_web_chat(
    api: Api, refs: dict[str, str], resource: str
) -> None:
    response = api.person(refs["Tio"], resource, channel="web", logged_in_web=True)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize("resource", ["cases", "payments"])
def test_protected_identity_gets_no_details_on_web_without_the_login(
    api: Api, refs: dict[str, str], resource: str
) -> None:
    response = api.person(refs["Tio"], resource, channel="web", logged_in_web=False)
    assert_problem(response, 403, "protected-identity")
    assert "items" not in response.json()


@pytest.mark.parametrize("resource", ["cases", "payments"])
@pytest.mark.parametrize("channel", ["sms", "voice", "rest"])
def test_unprotected_person_gets_details_on_sms_and_voice(
    api: Api, refs: dict[str, str], resource: str, channel: str
) -> None:
    response = api.person(refs["Tolvan"], resource, channel=channel)
    assert response.status_code == 200
    assert response.json()["items"]


@pytest.mark.parametrize("resource", PERSON_RESOURCES)
def test_unknown_person_ref_is_404(api: Api, resource: str) -> None:
    unknown = "UnknownPersonRef0000000"
    assert_problem(api.person(unknown, resource), 404, "person-not-found")


def test_unknown_principal_cannot_be_ordered_for(api: Api, refs: dict[str, str]) -> None:
    response = api.order(
        refs["Elva"],
        {
            "type": "annual_report_basis",
            "principal_ref": "UnknownPersonRef0000000",
            "idempotency_key": "unknown-principal-1",
        },
    )
    assert_problem(response, 403, "not-representative")


def test_order_for_unknown_requester_is_404(api: Api, refs: dict[str, str]) -> None:
    response = api.order(
        "UnknownPersonRef0000000",
        {
            "type": "annual_report_basis",
            "principal_ref": refs["Fyra"],
            "idempotency_key": "unknown-requester-1",
        },
    )
    assert_problem(response, 404, "person-not-found")


@pytest.mark.parametrize("resource", PERSON_RESOURCES)
def test_missing_identity_assertion_is_401(api: Api, refs: dict[str, str], resource: str) -> None:
    path = f"/v1/persons/{refs['Tolvan']}{'/' + resource if resource else ''}"
    assert_problem(api.get(path), 401, "unauthorized")


@pytest.mark.parametrize("resource", PERSON_RESOURCES)
@pytest.mark.parametrize("channel", ["", "email", "WEB", "web,sms"])
def test_an_assertion_with_an_unknown_channel_is_401(
    api: Api, refs: dict[str, str], resource: str, channel: str
) -> None:
    response = api.person(refs["Tolvan"], resource, channel=channel)
    assert_problem(response, 401, "unauthorized")


def test_a_channel_header_on_lookup_is_ignored(api: Api) -> None:
    response = api.post(
        "/v1/person-lookups", json={"personnummer": "191212121212"}, headers={"X-Channel": "fax"}
    )
    assert response.status_code == 200
