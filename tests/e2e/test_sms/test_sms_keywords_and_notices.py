"""SMS keywords and opt-out (STOPP kept and respected), and the proactive notices the case
backend posts: sent once with delivery status, the person's choice and protected identity
respected, only with the notifier's token."""

from __future__ import annotations

import pytest

from connectors.sms.keywords import REPLIES, KeywordKind
from connectors.sms.notices import EVENT_TEXTS, OPT_OUT_HINT, PROTECTED_TEXT

from ..conftest import Assistant
from ..sms_harness import SmsClient, new_message_sid, new_phone
from .expected import GREETING, WELCOME, phrase, translate
from .observed import conversation_id, messages_to, notice, user_texts

pytestmark = pytest.mark.e2e



# ---- keywords and opt-out ----
def test_stopp_is_kept_and_respected(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    assert sms.say(phone, "Hej") == [GREETING]
    assert sms.say(phone, "STOPP") == [phrase(REPLIES[KeywordKind.STOP])]
    assert sms.say(phone, "Hej igen") == []
    status, body = notice(sms, assistant.backend.credentials.notices_token, phone=phone)
    assert (status, body) == (202, {"status": "opted_out"})
    assert sms.say(phone, "hjälp") == [phrase(REPLIES[KeywordKind.HELP])]
    assert sms.say(phone, "STARTA") == [phrase(REPLIES[KeywordKind.START])]
    assert sms.say(phone, "tack") == [WELCOME]
    assert sms.say(phone, "stop") == [phrase(REPLIES[KeywordKind.STOP], "en")]
    assert messages_to(sms, phone) == []
    assert user_texts(assistant, conversation_id(sms, phone)) == ["Hej", "tack"]


# ---- proactive notices ----
def test_a_notice_is_sent_once_with_delivery_status(assistant: Assistant,
                                                    sms: SmsClient) -> None:
    phone = new_phone()
    key = f"case-1:payment:{new_message_sid()}"
    token = assistant.backend.credentials.notices_token
    first = notice(sms, token, phone=phone, idempotency_key=key)
    again = notice(sms, token, phone=phone, idempotency_key=key)
    assert first == (202, {"status": "accepted"}) and again == (202, {"status": "duplicate"})
    sms.wait_for(lambda: messages_to(sms, phone))
    assert messages_to(sms, phone) == [
        f"{EVENT_TEXTS['payment_scheduled']} {OPT_OUT_HINT}"]
    fake = sms.setup.fake
    assert fake is not None
    [sent] = [m for m in fake.messages if m.to == phone]
    # Twilio's status callbacks reach the channel through the public address and are accepted.
    sms.wait_for(lambda: sum(1 for c in fake.callbacks if c[0] == sent.sid) == 2)
    assert [c[1:] for c in fake.callbacks if c[0] == sent.sid] == [("sent", 204),
                                                                   ("delivered", 204)]


def test_notices_respect_choice_and_protected_identity(assistant: Assistant,
                                                       sms: SmsClient) -> None:
    token = assistant.backend.credentials.notices_token
    off = new_phone()
    assert notice(sms, token, phone=off, sms_notifications=False) == (
        202, {"status": "sms_notifications_off"})
    protected = new_phone()
    assert notice(sms, token, phone=protected, event="complement_requested",
                  protected_identity=True)[0] == 202
    english = new_phone()
    assert notice(sms, token, phone=english, event="complement_requested", language="en")[0] \
        == 202
    sms.wait_for(lambda: messages_to(sms, protected) and messages_to(sms, english))
    assert messages_to(sms, protected) == [f"{PROTECTED_TEXT} {OPT_OUT_HINT}"]
    assert messages_to(sms, english) == [
        f"{translate('en', EVENT_TEXTS['complement_requested'])} "
        f"{translate('en', OPT_OUT_HINT)}"]
    assert messages_to(sms, off) == []


def test_notices_need_the_notifiers_token(assistant: Assistant, sms: SmsClient) -> None:
    assert notice(sms, "not-the-token")[0] == 401
    assert notice(sms, "")[0] == 401
    # The assistant's own tokens to the case backend do not open it.
    assert notice(sms, assistant.backend.credentials.actions_token)[0] == 401
    assert notice(sms, assistant.backend.credentials.lookup_token)[0] == 401
