"""The answers rest on Försäkringskassan's page, sentence by sentence, and keep its facts.

bot/answer_sources.yml is the map; bot.answer_sources is the check. These tests run the check
on the real files (printing the fact count per answer, also written to reports/), and on
modified copies to show it catches a sentence without a source, a lost fact and a bad source.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.answer_sources import CATALOG, DOMAIN, PAGE, ROOT, SOURCES, check, sentences
from bot.rendering import for_sms
from connectors.sms.text import fits

SHARED_PAGE = ROOT.parent / "shared" / "sources" / "om-mina-sidor.txt"
REPORT = ROOT / "reports" / "answer-facts.txt"


def test_every_sentence_has_a_source_and_every_key_fact_is_kept() -> None:
    report = check()
    lines = [f"{name:40} {count:3} facts" for name, count in sorted(report.fact_counts.items())]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\nKey facts checked per answer (every channel, sv and en):\n" + "\n".join(lines))
    assert report.problems == []
    assert len(report.fact_counts) >= 18


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    domain = tmp_path / "domain"
    shutil.copytree(DOMAIN, domain)
    sources = tmp_path / "answer_sources.yml"
    shutil.copy(SOURCES, sources)
    return domain, sources


def _edit_response(domain: Path, name: str, old: str, new: str) -> None:
    path = domain / "faq.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_sentence_without_a_source_fails_the_check(tmp_path: Path) -> None:
    domain, sources = _copy(tmp_path)
    added = "Du kan också skicka bilagor med post."
    _edit_response(domain, "utter_faq_attachments", "under Ärenden på Mina sidor.",
                   f"under Ärenden på Mina sidor. {added}")
    problems = check(sources=sources, domain=domain, catalog=CATALOG, page=PAGE).problems
    assert any("sentence without a source" in p and added in p for p in problems), problems


def test_a_lost_key_fact_fails_the_check(tmp_path: Path) -> None:
    domain, sources = _copy(tmp_path)
    _edit_response(domain, "utter_faq_attachments",
                   "Ja, men bara i de e-tjänster som har den funktionen.",
                   "Ja, men bara i de e-tjänster som har den funktionen.".replace(
                       "bara i de", "i många"))
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["answers"]["utter_faq_attachments"]["sentences"].append(
        {"source": "om-mina-sidor.txt:45", "sv": "Ja, men i många e-tjänster som har den "
         "funktionen.", "en": "Yes, but only in the e-services that have that function."})
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check(sources=sources, domain=domain, catalog=CATALOG, page=PAGE).problems
    assert any("key fact missing: 'bara i de e-tjänster som har den funktionen'" in p
               for p in problems), problems


@pytest.mark.parametrize(("source", "complaint"), [
    ("om-mina-sidor.txt:999", "is not a line of the page"),
    ("om-mina-sidor.txt:8", "share no word"),
    ("https://www.example.org/kakor", "is not a source"),
    ("config:SUPPORT_EMAIL", "unknown configuration source"),
])
def test_a_source_that_does_not_hold_fails_the_check(tmp_path: Path, source: str,
                                                     complaint: str) -> None:
    _, sources = _copy(tmp_path)
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["answers"]["utter_faq_attachments"]["sentences"][0]["source"] = source
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check(sources=sources).problems
    assert any(complaint in p for p in problems), problems


def test_an_answer_missing_from_the_map_fails_the_check(tmp_path: Path) -> None:
    _, sources = _copy(tmp_path)
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    del data["answers"]["utter_faq_cookies"]
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "utter_faq_cookies: not in answer_sources.yml" in check(sources=sources).problems


def test_the_page_copy_is_the_shared_source() -> None:
    if not SHARED_PAGE.exists():
        pytest.skip("no shared copy of the page on this machine")
    assert PAGE.read_text(encoding="utf-8") == SHARED_PAGE.read_text(encoding="utf-8")


def test_sentences_split_at_the_hours_placeholder() -> None:
    assert sentences("Ring {support_phone} nu. {support_hours_sentence} Mer finns på x.se.") \
        == ["Ring {support_phone} nu.", "{support_hours_sentence}", "Mer finns på x.se."]


# The longest hours sentence a deployment is likely to set, in both languages.
HOURS = {"sv": "Kundcenter har öppet måndag-torsdag 08:00-16:00, fredag 08:00-15:00.",
         "en": "The customer centre is open Monday-Thursday 8:00 AM-4:00 PM, Friday 8:00 "
               "AM-3:00 PM."}


# A follow-up the dialogue sends in the same turn, joined into the same SMS.
FOLLOW_UP = {"utter_faq_attachments": {"sv": "\n\nVill du att jag tittar på ditt ärende?",
                                       "en": "\n\nDo you want me to look at your case?"}}


def test_every_answer_fits_one_sms_so_no_fact_is_cut() -> None:
    from babel.messages.pofile import read_po

    with CATALOG.open("rb") as handle:
        english = {(m.context, str(m.id)): str(m.string) for m in read_po(handle) if m.id}
    data = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["answers"]
    responses: dict[str, list[dict[str, str]]] = {}
    for path in DOMAIN.glob("*.yml"):
        responses.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    for name in data:
        variations = [v for v in responses[name] if v.get("channel") == "sms"] or \
            [v for v in responses[name] if not v.get("channel")]
        for variation in variations:
            for language in ("sv", "en"):
                text = variation["text"] if language == "sv" else \
                    english[(name, variation["text"])]
                text = text.replace("{support_phone}", "0771-524 524").replace(
                    "{support_hours_sentence}", HOURS[language])
                text += FOLLOW_UP.get(name, {}).get(language, "")
                assert fits(for_sms(text), 3), (name, language, len(text))


def test_no_text_uses_the_retired_hours_placeholder() -> None:
    for path in DOMAIN.glob("*.yml"):
        assert "{support_hours}" not in path.read_text(encoding="utf-8"), path
