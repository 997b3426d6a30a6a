import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.personal import (
    ActionAttachmentOptions,
    ActionCaseStatus,
    ActionNextPayment,
    ActionOrderAnnualReportBasis,
    ActionReceivePersonalNumber,
)

PERSONAL = [ActionCaseStatus, ActionNextPayment, ActionAttachmentOptions,
            ActionOrderAnnualReportBasis, ActionReceivePersonalNumber]


def _tracker() -> Tracker:
    return Tracker("someone", {}, {"intent": {"name": "ask_next_payment"}}, [], False, None,
                   None, "action_listen")


@pytest.mark.parametrize("action_class", PERSONAL)
def test_personal_actions_say_the_service_is_not_connected(action_class: type) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_class().run(dispatcher, _tracker(), {}))
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_service_not_connected"]


def test_action_server_registers_exactly_the_domain_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == {
        "action_case_status", "action_next_payment", "action_attachment_options",
        "action_order_annual_report_basis", "action_receive_personal_number"}
