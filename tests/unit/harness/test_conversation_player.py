"""The conversation player's own pieces without processes: the corpus validates, its
formatting is the one written down by hand, and the stories file follows the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conversations.player.corpus import CorpusError, keypad, load_corpus, load_persons
from tests.conversations.player.facts import FactContext, PersonData, date, money, resolve
from tests.conversations.player.play import SUPPORT_DIAL, check_transfer, choose, is_subsequence
from tests.conversations.player.stack import support_env
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


def test_the_closed_stack_has_today_and_tomorrow_in_stockholm_as_closed_days() -> None:
    import datetime as dt

    # 23:30 UTC on 4 December is already 5 December in Stockholm.
    late = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.timezone.utc)
    assert support_env("closed", late) == {"SUPPORT_HOURS": "mon-fri 08:00-16:00",
                                           "SUPPORT_HOLIDAYS": "2026-12-05,2026-12-06"}
    assert support_env("unset") == {"SUPPORT_HOURS": "", "SUPPORT_HOLIDAYS": ""}


def test_a_transfer_dials_while_hours_are_unset_and_hangs_up_when_closed() -> None:
    from tests.conversations.player.channels import Reply
    from tests.conversations.player.tracker import TurnEvents

    def reply(dial: str | None, hangup: bool) -> Reply:
        return Reply([], TurnEvents([], [], []), dial=dial, hangup=hangup)

    dialled, hung_up = reply(SUPPORT_DIAL, False), reply(None, True)
    assert check_transfer("unset", dialled) == []
    assert check_transfer("unset", hung_up)
    assert check_transfer("closed", hung_up) == []
    assert check_transfer("closed", dialled)


def test_a_support_mode_that_is_not_known_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "conversations:\n  - id: x\n    support: open\n    turns:\n      - say: hej\n")
    with pytest.raises(CorpusError, match="support 'open'"):
        load_corpus(tmp_path, load_persons())


def test_entity_markup_for_the_stories() -> None:
    text, slots = annotated("och bostadsbidraget då?", ["benefit:bostadsbidraget=bostadsbidrag"])
    assert text == 'och [bostadsbidraget]{"entity": "benefit", "value": "bostadsbidrag"} då?'
    assert slots == [{"benefit": "bostadsbidrag"}]


def test_the_stories_file_follows_the_corpus() -> None:
    assert STORIES_FILE.read_text(encoding="utf-8") == render(load_corpus()), \
        "run: .venv/bin/python -m tests.conversations.stories"
