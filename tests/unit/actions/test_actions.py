"""Personal actions with CollectingDispatcher, small trackers and an injected fake backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.attachments import ActionAttachmentOptions
from actions.case_status import ActionCaseStatus
from actions.get_started import ActionGetStarted
from actions.orders import ActionOrderAnnualReportBasis
from actions.payments import ActionNextPayment
from tests.unit.fake_backend import FakeBackend, day, demo_backend

TEST_PATH_ON = {"ASSISTANT_TEST_IDENTITY": "on"}


def tracker(person: str | None = None, channel: str = "rest", benefit: str | None = None,
            test_ref: str | None = None) -> Tracker:
    # In the web chat the message's verified session names the person; elsewhere the stored
    # identification, bound to the channel that made it (here: this one).
    web = channel == "webchat"
    slots = {"person_ref": None if web else person,
             "identity_channel": channel if person and not web else None, "benefit": benefit}
    metadata = {"test_person_ref": test_ref} if test_ref else {}
    if web and person:
        metadata["session_person_ref"] = person
    latest = {"intent": {"name": "x"}, "metadata": metadata}
    events = [{"event": "user", "input_channel": channel, "text": "x", "parse_data": latest}]
    return Tracker("conversation-1", slots, latest, events, False, None, None, "action_listen")


def run(action: Action, track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return events, dispatcher.messages


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


def test_case_status_lists_each_open_case_and_the_expected_decision() -> None:
    _, messages = run(ActionCaseStatus(demo_backend()), tracker("tolvan"))
    assert responses(messages) == ["utter_case_status", "utter_case_decision_expected",
                                   "utter_case_status"]
    assert messages[0]["benefit"] == "sjukpenning"
    assert messages[0]["events"][0] == {"type": "medical_certificate_received",
                                        "occurred_on": day(-12).isoformat()}
    assert messages[1]["date"] == day(14).isoformat()
    assert messages[2]["benefit"] == "bostadsbidrag"


def test_case_status_for_the_named_benefit_only() -> None:
    _, messages = run(ActionCaseStatus(demo_backend()), tracker("tolvan", benefit="bostadsbidrag"))
    assert [m.get("benefit") for m in messages] == ["bostadsbidrag"]


def test_case_status_decided_case_has_no_expected_decision() -> None:
    _, messages = run(ActionCaseStatus(demo_backend()), tracker("tio", channel="webchat"))
    assert responses(messages) == ["utter_case_status"]


def test_no_cases_and_representatives() -> None:
    assert responses(run(ActionCaseStatus(demo_backend()), tracker("atta"))[1]) == [
        "utter_no_open_cases"]
    assert responses(run(ActionCaseStatus(demo_backend()), tracker("elva"))[1]) == [
        "utter_representative_cannot_follow_cases"]


@pytest.mark.parametrize("channel", ["twilio_sms", "twilio_voice"])
@pytest.mark.parametrize("action_class", [ActionCaseStatus, ActionNextPayment,
                                          ActionAttachmentOptions])
def test_protected_person_gets_no_details_on_sms_or_voice(channel: str,
                                                          action_class: type) -> None:
    backend = demo_backend()
    _, messages = run(action_class(backend), tracker("tio", channel=channel))
    assert responses(messages) == ["utter_protected_use_mina_sidor"]
    assert [name for name, _ in backend.calls] == ["profile"]


def test_protected_person_gets_details_in_the_web_chat() -> None:
    _, messages = run(ActionNextPayment(demo_backend()), tracker("tio", channel="webchat"))
    assert responses(messages) == ["utter_next_payment"]


def test_protected_person_gets_no_details_over_rest() -> None:
    # Only the logged-in web chat counts as web for protected persons: fail closed.
    _, messages = run(ActionNextPayment(demo_backend()), tracker("tio", channel="rest"))
    assert responses(messages) == ["utter_protected_use_mina_sidor"]


@pytest.mark.parametrize("channel", ["socketio", "cmdline", "somethingnew", "Webchat"])
def test_an_undeclared_channel_gets_nothing_personal(channel: str) -> None:
    # Not declared in common/channels.py: even a stored identification gives nothing, and the
    # backend is not asked.
    backend = demo_backend()
    _, messages = run(ActionNextPayment(backend), tracker("tolvan", channel=channel))
    assert responses(messages) == ["utter_identification_needed"]
    assert backend.calls == []


def test_next_payment_and_preliminary_ones_in_date_order() -> None:
    _, messages = run(ActionNextPayment(demo_backend()), tracker("tolvan"))
    assert responses(messages) == ["utter_next_payment", "utter_preliminary_payments"]
    assert messages[0]["amount"] == 12345.0 and messages[0]["date"] == day(9).isoformat()
    assert messages[0]["benefit"] == "sjukpenning"
    assert [p["date"] for p in messages[1]["payments"]] == [day(39).isoformat(),
                                                           day(69).isoformat()]


def test_no_planned_payments() -> None:
    assert responses(run(ActionNextPayment(demo_backend()), tracker("atta"))[1]) == [
        "utter_no_planned_payments"]


def test_attachments_per_case() -> None:
    _, messages = run(ActionAttachmentOptions(demo_backend()), tracker("tolvan"))
    assert [(m["response"], m["benefit"]) for m in messages] == [
        ("utter_attachments_not_possible", "sjukpenning"),
        ("utter_attachments_possible", "bostadsbidrag")]
    assert responses(run(ActionAttachmentOptions(demo_backend()), tracker("atta"))[1]) == [
        "utter_attachments_no_open_case"]


@pytest.mark.parametrize(("person", "expected"), [
    (None, "utter_get_started"), ("tolvan", "utter_get_started"),
    ("atta", "utter_get_started_first_time"), ("elva", "utter_get_started_representative")])
def test_get_started_is_tailored(person: str | None, expected: str) -> None:
    assert responses(run(ActionGetStarted(demo_backend()), tracker(person))[1]) == [expected]


def test_get_started_survives_a_down_backend() -> None:
    backend = demo_backend()
    backend.down = True
    assert responses(run(ActionGetStarted(backend), tracker("atta"))[1]) == ["utter_get_started"]


def test_order_is_idempotent_and_confirmed_with_a_reference() -> None:
    backend = demo_backend()
    first = run(ActionOrderAnnualReportBasis(backend), tracker("elva"))[1]
    again = run(ActionOrderAnnualReportBasis(backend), tracker("elva"))[1]
    assert responses(first) == ["utter_order_confirmed"]
    assert first[0]["reference"] == again[0]["reference"] == "AR-2026-000001"
    assert len(backend.orders) == 1


def test_only_representatives_can_order() -> None:
    backend = demo_backend()
    assert responses(run(ActionOrderAnnualReportBasis(backend), tracker("tolvan"))[1]) == [
        "utter_order_only_representatives"]
    assert not backend.orders


@pytest.mark.parametrize("action_class", [ActionCaseStatus, ActionNextPayment,
                                          ActionAttachmentOptions,
                                          ActionOrderAnnualReportBasis])
def test_unidentified_person_in_the_web_chat_is_asked_to_log_in(action_class: type) -> None:
    backend = demo_backend()
    assert responses(run(action_class(backend, environ={}), tracker(channel="webchat"))[1]) == [
        "utter_identification_needed"]
    assert not backend.calls


@pytest.mark.parametrize("channel", ["rest", "twilio_sms", "twilio_voice"])
def test_unidentified_person_elsewhere_is_asked_for_a_personnummer(channel: str) -> None:
    backend = demo_backend()
    events, messages = run(ActionNextPayment(backend, environ={}), tracker(channel=channel))
    assert responses(messages) == ["utter_ask_personal_number"]
    assert events == [SlotSet("pending_action", "action_next_payment")]
    assert not backend.calls


def test_test_identity_path_is_off_by_default() -> None:
    backend = demo_backend()
    events, messages = run(ActionNextPayment(backend, environ={}),
                           tracker(channel="webchat", test_ref="tolvan"))
    assert responses(messages) == ["utter_identification_needed"] and events == []


def test_test_identity_path_when_switched_on_binds_the_conversation() -> None:
    events, messages = run(ActionNextPayment(demo_backend(), environ=TEST_PATH_ON),
                           tracker(test_ref="tolvan"))
    assert responses(messages)[0] == "utter_next_payment"
    assert events[0] == SlotSet("person_ref", "tolvan")


@pytest.mark.parametrize("action_class", [ActionCaseStatus, ActionNextPayment,
                                          ActionAttachmentOptions,
                                          ActionOrderAnnualReportBasis])
def test_backend_down_gives_the_apology(action_class: type) -> None:
    backend = demo_backend()
    backend.down = True
    assert responses(run(action_class(backend), tracker("elva"))[1]) == [
        "utter_backend_unavailable"]


def test_backend_refusal_is_not_shown_as_data() -> None:
    backend = FakeBackend()
    assert responses(run(ActionCaseStatus(backend), tracker("stranger"))[1]) == [
        "utter_identification_needed"]


def test_action_server_registers_exactly_the_domain_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == {
        "action_case_status", "action_next_payment", "action_attachment_options",
        "action_get_started", "action_order_annual_report_basis",
        "action_receive_personal_number", "action_log_out", "action_benefit_follow_up",
        "action_core_fallback", "action_human_handoff", "action_offer_handoff"}


def _web_tracker(metadata: dict[str, Any], channel: str = "webchat") -> Tracker:
    latest = {"intent": {"name": "x"}, "metadata": metadata}
    events = [{"event": "user", "input_channel": channel, "text": "x", "parse_data": latest}]
    return Tracker("web-1", {}, latest, events, False, None, None, "action_listen")


def test_the_web_chat_session_binds_the_person() -> None:
    events, messages = run(ActionNextPayment(demo_backend(), environ={}),
                           _web_tracker({"session_person_ref": "tolvan"}))
    assert responses(messages)[0] == "utter_next_payment"
    assert SlotSet("person_ref", "tolvan") in events


def test_a_session_ref_from_another_channel_is_ignored() -> None:
    _, messages = run(ActionNextPayment(demo_backend(), environ={}),
                      _web_tracker({"session_person_ref": "tolvan"}, channel="rest"))
    assert responses(messages) == ["utter_ask_personal_number"]
