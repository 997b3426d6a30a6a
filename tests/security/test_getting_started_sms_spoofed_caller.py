"""Attack: a spoofed caller id makes the getting-started SMS go to any mobile number. The
attacker calls with someone else's mobile number as caller id (the network did not attest
it: no StirVerstat, or a partial attestation), asks how to get started and presses 1.
No SMS may go to that number, and no SMS offer is made."""

from __future__ import annotations

import pytest

from connectors.voice.call import SMS_OFFER, SMS_SENT
from tests.e2e.conftest import Assistant
from tests.e2e.voice_harness import Call, new_caller

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("attestation", [None, "TN-Validation-Passed-B",
                                         "TN-Validation-Passed-C", "TN-Validation-Failed-A",
                                         "No-TN-Validation"])
def test_no_sms_to_a_caller_id_the_network_did_not_fully_attest(
        assistant: Assistant, attestation: str | None) -> None:
    assert assistant.voice is not None and assistant.sms is not None
    fake = assistant.sms.fake
    assert fake is not None
    victim = new_caller()
    attacker = Call(assistant.base_url, assistant.voice, caller=victim,
                    attestation=attestation)
    attacker.start()
    started = attacker.press("3")
    assert SMS_OFFER not in started.says
    assert "forsakringskassan.se" in " ".join(started.says)  # where to find the steps
    pressed = attacker.press("1")
    assert SMS_SENT not in pressed.says
    attacker.hang_up()
    assert [m for m in fake.messages if m.to == victim] == []
