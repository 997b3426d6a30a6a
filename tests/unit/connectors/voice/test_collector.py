"""The phone channel learns what a turn did from the messages as they pass, not from the
tracker store: the response names and the NLG's turn facts (intent, language)."""

from __future__ import annotations

import asyncio

from bot.nlg import TURN_FACTS_KEY
from connectors.voice.collector import VoiceCollector, last_turn_facts


def test_the_collector_keeps_response_names_and_thelast_turn_facts() -> None:
    collector = VoiceCollector()
    for name, facts in (("utter_greet", {"intent": "greet", "language": "sv"}),
                        ("utter_faq_attachments", {"intent": "faq_attachments",
                                                   "language": "en"})):
        asyncio.run(collector.send_response("caller", {
            "text": "...", "utter_action": name, TURN_FACTS_KEY: facts}))
    assert collector.utter_actions == ["utter_greet", "utter_faq_attachments"]
    assert last_turn_facts(collector) == ("faq_attachments", "en")
    assert [m["text"] for m in collector.messages] == ["...", "..."]


def test_messages_without_turn_facts_leave_the_turn_to_the_tracker_store() -> None:
    collector = VoiceCollector()
    asyncio.run(collector.send_response("caller", {"text": "från en åtgärd"}))
    assert last_turn_facts(collector) is None
    assert collector.utter_actions == [""]


def test_facts_without_a_language_are_not_trusted() -> None:
    collector = VoiceCollector()
    asyncio.run(collector.send_response("caller", {"text": "x", TURN_FACTS_KEY: {
        "intent": "greet"}}))
    assert last_turn_facts(collector) is None
