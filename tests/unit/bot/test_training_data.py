"""Rules the NLU data must keep: coverage per language, labels, entities, no personal data."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

NLU = Path("bot/data/nlu")
LANGUAGES = ("sv", "en")
CANONICAL_BENEFITS = {
    "sjukpenning", "bostadsbidrag", "aktivitetsstod", "foraldrapenning",
    "tillfallig_foraldrapenning", "sjukersattning", "aktivitetsersattning",
    "handikappersattning", "barnbidrag", "underhallsstod"}
CONTRACT_INTENTS = set(yaml.safe_load(Path("bot/domain/conversation.yml").read_text())["intents"])
MINIMUM = {"sv": 40, "en": 25}
# One file per topic, the same topics in every language (a glob that finds none proves nothing).
TOPIC_FILES = {"access_and_support.yml", "cases_and_services.yml", "conversation.yml",
               "follow_ups.yml", "personal_colloquial.yml", "representatives_attachments.yml",
               "session.yml"}
# faq_*, get_started and ask_* are asked most, so they need the most examples.
WELL_COVERED = {i for i in CONTRACT_INTENTS
                if i.startswith(("faq_", "ask_")) or i == "get_started"}


def _files(language: str) -> list[Path]:
    files = sorted((NLU / language).glob("*.yml"))
    assert {path.name for path in files} >= TOPIC_FILES, f"{NLU / language}: {files}"
    return files


def _examples(language: str) -> Counter[str]:
    data = load_data(str(NLU / language))
    return Counter(m.get("intent") for m in data.intent_examples)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_examples_in_every_language(language: str) -> None:
    counts = _examples(language)
    missing = CONTRACT_INTENTS - set(counts)
    assert not missing, f"{language}: no examples for {sorted(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_intents_have_enough_examples(language: str) -> None:
    counts = _examples(language)
    short = {i: counts[i] for i in WELL_COVERED if counts[i] < MINIMUM[language]}
    assert not short, f"{language}: fewer than {MINIMUM[language]} examples: {short}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_block_is_labelled_with_its_language(language: str) -> None:
    labelled = set()
    for path in _files(language):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block:
                assert (block.get("metadata") or {}).get("language") == language, (
                    f"{path}: intent {block['intent']} lacks metadata language {language}")
                labelled.add(block["intent"])
    assert labelled >= CONTRACT_INTENTS, sorted(CONTRACT_INTENTS - labelled)


def test_benefit_entities_use_canonical_values() -> None:
    data = load_data(str(NLU))
    values = {e["value"] for m in data.intent_examples for e in m.get("entities") or []
              if e["entity"] == "benefit"}
    synonyms = set(data.entity_synonyms.values())
    assert values, "no benefit annotations at all"
    assert not (values | synonyms) - CANONICAL_BENEFITS - {"sv", "en"}


def test_language_entity_values() -> None:
    data = load_data(str(NLU))
    values = {e["value"] for m in data.intent_examples for e in m.get("entities") or []
              if e["entity"] == "language"}
    assert values == {"sv", "en"}


def test_required_synonyms() -> None:
    synonyms = load_data(str(NLU)).entity_synonyms
    assert synonyms["vab"] == "tillfallig_foraldrapenning"
    assert synonyms["föräldrapenningen"] == "foraldrapenning"
    assert synonyms["sick pay"] == "sjukpenning"
    assert synonyms["housing allowance"] == "bostadsbidrag"


def test_no_personal_numbers_in_training_data() -> None:
    # A personnummer never reaches the model; the channels replace it with PNR_REDACTED.
    pattern = re.compile(r"\b(\d{6}|\d{8})[-+]?\d{4}\b")
    assert pattern.search("jag heter Tolvan, 19121212-1212") and pattern.search("1212121212")
    files = sorted(NLU.rglob("*.yml"))
    assert set(files) >= {*_files("sv"), *_files("en"), NLU / "synonyms.yml"}
    for path in files:
        assert not pattern.search(path.read_text()), f"{path} contains a personal number"
