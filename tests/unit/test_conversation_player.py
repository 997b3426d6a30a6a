"""The conversation player's own pieces without processes: the corpus validates, its
formatting is the one written down by hand, and the stories file follows the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conversations.player.corpus import CorpusError, keypad, load_corpus, load_persons
from tests.conversations.player.facts import FactContext, PersonData, date, money, resolve
from tests.conversations.player.play import choose, is_subsequence, support_open
from tests.conversations.stories import STORIES_FILE, annotated, render


def test_the_corpus_loads_and_every_conversation_has_four_turns() -> None:
    conversations = load_corpus()
    assert len(conversations) >= 60
    assert all(len(c.turns) >= 4 for c in conversations)


def test_an_unknown_key_in_a_turn_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "conversations:\n  - id: x\n    turns:\n      - say: hej\n        exepct: []\n")
    with pytest.raises(CorpusError, match="exepct"):
        load_corpus(tmp_path, load_persons())


@pytest.mark.parametrize(("typed", "digits"), [
    ("19121212-1212", "191212121212"), ("19121212\u20131212", "191212121212"),
    ("1912 1212 1212", "191212121212"), ("\uff11\uff19\uff11\uff12\uff11\uff12\uff11\uff12"
                                         "\uff0d\uff11\uff12\uff11\uff12", "191212121212")])
def test_the_keypad_digits_of_a_personnummer(typed: str, digits: str) -> None:
    assert keypad(typed) == digits


def test_money_and_dates_as_readers_write_them() -> None:
    assert money(12345, "sv", "rest") == "12 345 kr"
    assert money(12345, "en", "sms") == "SEK 12,345"
    assert money(12345, "sv", "voice") == "12345 kronor|12 345 kronor"
    assert money(12345, "en", "voice") == "12,345 kronor"
    assert date("2026-12-13", "sv") == "13 december 2026"
    assert date("2027-01-02", "en") == "January 2, 2027"


def test_references_resolve_from_the_backends_data() -> None:
    person = PersonData({}, [{"benefit": "sjukpenning", "expected_decision_by": "2026-12-18"}],
                        [{"pay_date": "2027-01-12", "amount_ore": 100, "preliminary": True,
                          "benefit": "sjukpenning"},
                         {"pay_date": "2026-12-13", "amount_ore": 1234500,
                          "preliminary": False, "benefit": "sjukpenning"}])
    context = FactContext("sv", "web", person, {"reference": "AR-2026-000001"})
    assert resolve("$payment.next.amount", context) == "12 345 kr"
    assert resolve("$case.sjukpenning.decision_by", context) == "18 december 2026"
    assert resolve("$captured.reference", context) == "AR-2026-000001"
    assert resolve("förordnande", context) == "förordnande"


def test_response_names_in_order_and_either_or() -> None:
    assert is_subsequence(["a", "c"], ["a", "b", "c"])
    assert not is_subsequence(["c", "a"], ["a", "b", "c"])
    assert choose("utter_ask_rephrase|utter_out_of_scope", ["utter_out_of_scope"]) == \
        "utter_out_of_scope"


def test_the_support_line_hours_by_the_players_own_clock() -> None:
    import datetime as dt

    from tests.conversations.player.play import STOCKHOLM

    assert support_open(dt.datetime(2026, 12, 4, 9, 0, tzinfo=STOCKHOLM))
    assert not support_open(dt.datetime(2026, 12, 4, 16, 0, tzinfo=STOCKHOLM))
    assert not support_open(dt.datetime(2026, 12, 5, 10, 0, tzinfo=STOCKHOLM))


def test_entity_markup_for_the_stories() -> None:
    text, slots = annotated("och bostadsbidraget då?", ["benefit:bostadsbidraget=bostadsbidrag"])
    assert text == 'och [bostadsbidraget]{"entity": "benefit", "value": "bostadsbidrag"} då?'
    assert slots == [{"benefit": "bostadsbidrag"}]


def test_the_stories_file_follows_the_corpus() -> None:
    assert STORIES_FILE.read_text(encoding="utf-8") == render(load_corpus()), \
        "run: .venv/bin/python -m tests.conversations.stories"
