"""Every text that names the support line, rendered on every channel in both languages: with
the hours unset it gives the number and no hours (and no leftover punctuation); with them set
it says them in the conversation's language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n import Catalogs
from bot.nlg import ResponseRenderer
from bot.support import OpeningHours, SupportLine
from common.channels import ChannelKind

DOMAIN = Path("bot/domain")
PHONE = "0771-524 524"
UNSET = SupportLine(PHONE)
SET = SupportLine(PHONE, (OpeningHours(0, 4, dt.time(8), dt.time(16)),))
# Written by hand: what the configured hours must read like.
SAID = {"sv": "Kundcenter har öppet måndag-fredag 08:00-16:00.",
        "en": "The customer centre is open Monday-Friday 8:00 AM-4:00 PM."}
TIME = re.compile(r"\d{1,2}:\d{2}")


def support_responses() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DOMAIN.glob("*.yml")):
        for name, variations in ((yaml.safe_load(path.read_text()) or {})
                                 .get("responses") or {}).items():
            found += [(name, v) for v in variations if "{support_phone}" in v.get("text", "")]
    return found


RESPONSES = support_responses()
VALUES = {"benefit": "sjukpenning"}


@pytest.mark.parametrize("kind", list(ChannelKind))
@pytest.mark.parametrize("language", ["sv", "en"])
def test_unset_hours_give_the_number_and_no_hours(kind: ChannelKind, language: str) -> None:
    assert len(RESPONSES) >= 15
    renderer = ResponseRenderer(Catalogs(), UNSET)
    for name, variation in RESPONSES:
        text = renderer.render(name, variation, language, kind, dict(VALUES))["text"]
        assert PHONE in text, (name, text)
        assert not TIME.search(text) and "öppet måndag" not in text, (name, text)
        assert "  " not in text and " ." not in text and ", ." not in text, (name, text)
        assert not text.endswith(" ") and "{" not in text, (name, text)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_set_hours_are_said_in_the_conversations_language(language: str) -> None:
    renderer = ResponseRenderer(Catalogs(), SET)
    with_hours = [name for name, variation in RESPONSES
                  if "{support_hours_sentence}" in variation["text"]]
    assert "utter_faq_contact" in with_hours and "utter_fallback_handoff" in with_hours
    for name, variation in RESPONSES:
        if "{support_hours_sentence}" not in variation["text"]:
            continue
        text = renderer.render(name, variation, language, ChannelKind.WEB, dict(VALUES))["text"]
        assert SAID[language] in text, (name, text)
