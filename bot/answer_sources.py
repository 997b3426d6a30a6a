"""The source check for the answers about Mina sidor: every sentence rests on a source, and
every key fact of Försäkringskassan's page stays in its answer.

``bot/answer_sources.yml`` lists, per answer, its sentences (Swedish and English) with the
source each rests on, and the key facts the answer must keep. This module reads the domain
(Swedish), the English catalog and the page, and reports every problem it finds:

- an answer (``utter_faq_*``, ``utter_get_started*``) with no entry in the map;
- a sentence of any variation (web, SMS, voice; sv or en) that the map does not list;
- a source that is not a line of the page, a forsakringskassan.se address, a configuration
  value or the case backend, or a page line that shares no word with its sentence;
- a key fact missing from a variation (``facts``: every variation; ``web_facts``: the web one).

Paths are parameters so a test can run it on a modified copy. ``python -m bot.answer_sources``
prints the problems and the fact count per answer.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "bot" / "answer_sources.yml"
DOMAIN = ROOT / "bot" / "domain"
CATALOG = ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po"
PAGE = ROOT / "docs" / "sources" / "om-mina-sidor.txt"
PAGE_NAME = "om-mina-sidor.txt"
ANSWER_PREFIXES = ("utter_faq_", "utter_get_started")
CONFIG_VALUES = frozenset({"SUPPORT_PHONE", "SUPPORT_HOURS"})
SITE = "https://www.forsakringskassan.se/"
LANGUAGES = ("sv", "en")
# A sentence ends at . ! ? or after the hours placeholder, which is a whole sentence itself.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=\{support_hours_sentence\})\s+")
_PAGE_LINES = re.compile(rf"^{re.escape(PAGE_NAME)}:(\d+)(?:-(\d+))?$")
_WORD = re.compile(r"[^\W\d_]{4,}")
# Words too common on the page to show that a sentence comes from the line it cites.
_COMMON = frozenset({"mina", "sidor", "till", "från", "eller", "inte", "dina", "ditt", "också",
                     "försäkringskassan"})


@dataclass(frozen=True)
class Variation:
    answer: str
    channel: str  # "web", "sms" or "voice"
    texts: dict[str, str]  # language → text, placeholders unfilled


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    fact_counts: dict[str, int] = field(default_factory=dict)  # facts checked per answer


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _responses(domain: Path) -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(domain.glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                         .get("responses") or {})
    return responses


def _catalog(path: Path) -> dict[tuple[str | None, str], str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {(m.context, str(m.id)): str(m.string) for m in catalog
            if m.id and m.string and not m.fuzzy}


def _variations(name: str, responses: list[dict[str, Any]],
                english: dict[tuple[str | None, str], str],
                report: Report) -> Iterator[Variation]:
    for response in responses:
        text = str(response.get("text") or "")
        translated = english.get((name, text))
        if translated is None:
            report.problems.append(f"{name}: no English translation of {text[:60]!r}")
            translated = ""
        yield Variation(name, str(response.get("channel") or "web"),
                        {"sv": text, "en": translated})


def _check_source(name: str, sentence: str, source: str, page: list[str]) -> list[str]:
    problems = []
    cited: list[str] = []
    for part in (p.strip() for p in source.split(";")):
        match = _PAGE_LINES.match(part)
        if match:
            first = int(match[1])
            last = int(match[2] or first)
            lines = page[first - 1:last] if 1 <= first <= last <= len(page) else []
            if not any(line.strip() for line in lines):
                problems.append(f"{name}: {part} is not a line of the page ({sentence!r})")
            cited += lines
        elif part.startswith(SITE):
            continue
        elif part.startswith("config:"):
            if part.removeprefix("config:") not in CONFIG_VALUES:
                problems.append(f"{name}: unknown configuration source {part!r}")
        elif part.startswith("backend:") and len(part) > len("backend:"):
            continue
        else:
            problems.append(f"{name}: {part!r} is not a source ({sentence!r})")
    if cited:
        words = {w.casefold() for w in _WORD.findall(sentence)} - _COMMON
        text = " ".join(cited).casefold()
        if words and not any(word in text for word in words):
            problems.append(f"{name}: the cited page lines share no word with {sentence!r}")
    return problems


def _filled(text: str, phone: str) -> str:
    text = text.replace("{support_phone}", phone).replace("{support_hours_sentence}", "")
    return re.sub(r"[ ]{2,}", " ", text).strip()


def check(sources: Path = SOURCES, domain: Path = DOMAIN, catalog: Path = CATALOG,
          page: Path = PAGE, phone: str = "0771-524 524") -> Report:
    report = Report()
    data = yaml.safe_load(sources.read_text(encoding="utf-8")) or {}
    answers: dict[str, dict[str, Any]] = data.get("answers") or {}
    page_lines = page.read_text(encoding="utf-8").splitlines()
    responses = _responses(domain)
    english = _catalog(catalog)

    for name in sorted(responses):
        if name.startswith(ANSWER_PREFIXES) and name not in answers:
            report.problems.append(f"{name}: not in {sources.name}")
    for name, entry in answers.items():
        if name not in responses:
            report.problems.append(f"{name}: in {sources.name} but not in the domain")
            continue
        known: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for item in entry.get("sentences") or []:
            source = str(item.get("source") or "")
            if not source:
                report.problems.append(f"{name}: no source for {item.get('sv')!r}")
            else:
                report.problems += _check_source(name, str(item.get("sv")), source, page_lines)
            for language in LANGUAGES:
                known[language].add(str(item.get(language) or ""))
        facts = entry.get("facts") or {}
        web_facts = entry.get("web_facts") or {}
        counted = 0
        for variation in _variations(name, responses[name], english, report):
            for language, text in variation.texts.items():
                if not text:
                    continue
                for sentence in sentences(text):
                    if sentence not in known[language]:
                        report.problems.append(
                            f"{name} ({variation.channel}, {language}): sentence without a "
                            f"source: {sentence!r}")
                wanted = list(facts.get(language) or [])
                if variation.channel == "web":
                    wanted += list(web_facts.get(language) or [])
                said = _filled(text, phone).casefold()
                for fact in wanted:
                    if fact.casefold() not in said:
                        report.problems.append(
                            f"{name} ({variation.channel}, {language}): key fact missing: "
                            f"{fact!r}")
                counted = max(counted, len(wanted))
        if not facts.get("sv") or not facts.get("en"):
            report.problems.append(f"{name}: no key facts listed")
        report.fact_counts[name] = counted
    return report


def main() -> int:
    report = check()
    for name, count in sorted(report.fact_counts.items()):
        print(f"{name:40} {count:3} facts")
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
