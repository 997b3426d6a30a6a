from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language_detector import LanguageDetector

SWEDISH = ["när kommer pengarna", "nar kommer mina pengar", "har ni fått läkarintyget",
           "hur loggar jag in på mina sidor", "jag vill prata med en människa",
           "kan jag skicka bilagor digitalt", "vad är ett förmånsintyg", "tack så mycket",
           "hej hej", "jag har skyddad identitet", "min webbläsare är för gammal",
           "hur ändrar jag kontonummer", "när får jag beslut", "vad är underlag för årsräkning"]
ENGLISH = ["when does the money come", "has my medical certificate arrived",
           "how do I log in to my pages", "I want to talk to a person",
           "can I send attachments digitally", "what is a benefit certificate", "thanks a lot",
           "hello there", "I have a protected identity", "my browser is too old",
           "how do I change my bank account", "when will I get a decision",
           "what is the basis for the annual report", "can you help me please"]


def _example(text: str, language: str) -> Message:
    return Message(data={TEXT: text, "intent": "x",
                         METADATA: {METADATA_INTENT: {"language": language}}})


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def _trained(storage: LocalModelStorage) -> LanguageDetector:
    resource = Resource("language_detector")
    detector = LanguageDetector.create({**LanguageDetector.get_default_config(),
                                        "min_confidence": 0.6},
                                       storage, resource, _context())
    data = TrainingData([_example(t, "sv") for t in SWEDISH] +
                        [_example(t, "en") for t in ENGLISH])
    detector.train(data)
    return LanguageDetector.load({**LanguageDetector.get_default_config(),
                                  "min_confidence": 0.6}, storage, resource, _context())


def test_detects_each_language_after_a_save_and_load(storage: LocalModelStorage) -> None:
    detector = _trained(storage)
    messages = detector.process([Message(data={TEXT: "när kommer mina pengar från er"}),
                                 Message(data={TEXT: "when will my money arrive please"})])
    assert [m.get("language")["code"] for m in messages] == ["sv", "en"]
    assert all(m.as_dict(only_output_properties=True).get("language") for m in messages)


@pytest.mark.parametrize("text", ["", "1", "😀😀", "مرحبا كيف حالك", "Привет, как дела?",
                                  "https://example.com/a/b", "PNR_REDACTED"])
def test_says_nothing_about_messages_without_language(storage: LocalModelStorage,
                                                      text: str) -> None:
    detector = _trained(storage)
    assert detector.guess(text).code is None


def test_untrained_without_labels_leaves_messages_alone(storage: LocalModelStorage) -> None:
    resource = Resource("unlabelled")
    detector = LanguageDetector.create(LanguageDetector.get_default_config(), storage,
                                       resource, _context())
    detector.train(TrainingData([Message(data={TEXT: "hej", "intent": "greet"})]))
    loaded = LanguageDetector.load(LanguageDetector.get_default_config(), storage, resource,
                                   _context())
    assert loaded.guess("hello there my friend").code is None
