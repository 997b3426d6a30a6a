"""Which answers never go into an SMS webhook's reply: those that carry personal data."""

import yaml

from connectors.base.personal_responses import (
    PERSONAL_DOMAIN,
    SAYS_NOTHING_PERSONAL,
    load_personal_responses,
    said_personal,
)


def test_answers_with_personal_data_are_personal_and_prompts_are_not() -> None:
    personal = load_personal_responses()
    for name in ("utter_next_payment", "utter_case_status", "utter_order_confirmed",
                 "utter_protected_use_mina_sidor"):  # protected identity is personal too
        assert name in personal, name
    for name in ("utter_offer_case_check", "utter_identification_needed",
                 "utter_faq_attachments", "utter_ask_personal_number"):
        assert name not in personal, name
    assert said_personal(["utter_identified", "utter_next_payment"], personal)
    assert not said_personal(["utter_faq_attachments", "utter_offer_case_check"], personal)


def test_every_exception_names_a_response_of_the_personal_domain() -> None:
    # A renamed response must not silently make a personal answer go into the TwiML.
    declared = set(yaml.safe_load(PERSONAL_DOMAIN.read_text(encoding="utf-8"))["responses"])
    assert declared >= SAYS_NOTHING_PERSONAL
