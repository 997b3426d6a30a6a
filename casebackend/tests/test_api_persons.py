"""Happy paths for each demo person: lookup, profile, cases, payments."""

from __future__ import annotations

from datetime import date

import pytest

from casebackend.schemas import CasePage, PaymentPage, PersonLookupResult, PersonProfile
from tests.expected import NAMES, PERSONS, day
from tests.support import Api, assert_problem


def _digits(personnummer: str) -> str:
    return personnummer.replace("-", "")


@pytest.mark.parametrize("name", NAMES)
def test_lookup_finds_each_demo_person_in_every_accepted_form(
    api: Api, refs: dict[str, str], name: str
) -> None:
    number = PERSONS[name].personnummer  # YYYYMMDD-NNNN
    forms = [number, _digits(number), number[2:], _digits(number)[2:]]
    if date.today().year - int(number[:4]) >= 100:  # 100 or older: the short form takes '+'
        forms[2] = number[2:].replace("-", "+")
        forms.pop()  # without a separator the short form means the 2000s
    for form in forms:
        response = api.post("/v1/person-lookups", json={"personnummer": form})
        assert response.status_code == 200, (form, response.text)
        assert PersonLookupResult.model_validate_json(response.text).person_ref == refs[name]


def test_lookup_works_without_channel_header(api: Api, refs: dict[str, str]) -> None:
    response = api.post("/v1/person-lookups", json={"personnummer": "191212121212"}, channel=None)
    assert response.json() == {"person_ref": refs["Tolvan"]}


def test_lookup_of_unknown_valid_personnummer_is_404(api: Api) -> None:
    response = api.post("/v1/person-lookups", json={"personnummer": "19820101-0009"})
    assert_problem(response, 404, "person-not-found")
    assert "0009" not in response.text


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channel", ["web", "sms", "voice"])
def test_profile_of_each_demo_person(
    api: Api, refs: dict[str, str], name: str, channel: str
) -> None:
    expected = PERSONS[name]
    response = api.person(refs[name], channel=channel)
    assert response.status_code == 200, response.text
    profile = PersonProfile.model_validate_json(response.text)
    assert profile.person_ref == refs[name]
    assert profile.given_name == name
    assert profile.protected_identity is expected.protected_identity
    if expected.has_used_mina_sidor is not None:
        assert profile.has_used_mina_sidor is expected.has_used_mina_sidor
    if expected.has_benefit_certificate is not None:
        assert profile.has_benefit_certificate is expected.has_benefit_certificate
    assert [(r.person_ref, r.role) for r in profile.representative_for] == [
        (refs[principal], role) for principal, role in expected.represents
    ]


@pytest.mark.parametrize("name", NAMES)
def test_cases_of_each_demo_person(api: Api, refs: dict[str, str], name: str) -> None:
    response = api.person(refs[name], "cases")
    assert response.status_code == 200, response.text
    page = CasePage.model_validate_json(response.text)
    assert page.next_cursor is None
    expected = PERSONS[name].cases
    assert [case.benefit for case in page.items] == [case.benefit for case in expected]
    for case, want in zip(page.items, expected, strict=True):
        assert case.status == "open"
        assert case.closed_on is None
        assert case.accepts_attachments is want.accepts_attachments
        assert [(e.type, e.occurred_on.isoformat()) for e in case.events] == [
            (event_type, day(offset)) for event_type, offset in want.events
        ]
        if want.expected_decision_day is not None:
            assert case.expected_decision_by is not None
            assert case.expected_decision_by.isoformat() == day(want.expected_decision_day)
        assert case.opened_on <= case.events[-1].occurred_on


def test_tolvan_sjukpenning_decision_pending_and_bostadsbidrag_takes_attachments(
    api: Api, refs: dict[str, str]
) -> None:
    items = api.person(refs["Tolvan"], "cases").json()["items"]
    by_benefit = {item["benefit"]: item for item in items}
    sjukpenning = by_benefit["sjukpenning"]
    assert "decision_made" not in {event["type"] for event in sjukpenning["events"]}
    assert sjukpenning["expected_decision_by"] == day(14)
    assert by_benefit["bostadsbidrag"]["accepts_attachments"] is True


@pytest.mark.parametrize("name", NAMES)
def test_payments_of_each_demo_person(api: Api, refs: dict[str, str], name: str) -> None:
    response = api.person(refs[name], "payments")
    assert response.status_code == 200, response.text
    page = PaymentPage.model_validate_json(response.text)
    assert page.next_cursor is None
    assert [
        (p.benefit, p.pay_date.isoformat(), p.amount_ore, p.preliminary) for p in page.items
    ] == [
        (benefit, day(offset), ore, preliminary)
        for benefit, offset, ore, preliminary in PERSONS[name].payments
    ]


def test_payments_from_a_date_skips_earlier_ones(api: Api, refs: dict[str, str]) -> None:
    response = api.person(refs["Tolvan"], "payments", params={"from": day(10)})
    assert [item["pay_date"] for item in response.json()["items"]] == [day(39), day(69)]
    on_the_day = api.person(refs["Tolvan"], "payments", params={"from": day(9)})
    assert on_the_day.json()["items"][0]["pay_date"] == day(9)


def test_payments_default_from_is_today(api: Api, refs: dict[str, str]) -> None:
    default = api.person(refs["Fyra"], "payments").json()
    explicit = api.person(refs["Fyra"], "payments", params={"from": day(0)}).json()
    assert default == explicit


@pytest.mark.parametrize(("status", "count"), [("open", 2), ("closed", 0), ("all", 2)])
def test_cases_status_filter(api: Api, refs: dict[str, str], status: str, count: int) -> None:
    response = api.person(refs["Tolvan"], "cases", params={"status": status})
    assert response.status_code == 200
    assert len(response.json()["items"]) == count
