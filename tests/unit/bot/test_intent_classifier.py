from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_classifier import TfidfIntentClassifier

EXAMPLES = {
    "ask_next_payment": ["när kommer pengarna", "när betalas sjukpenningen ut",
                         "hur mycket får jag nästa månad", "when is my next payment"],
    "faq_cookies": ["vad använder ni kakor till", "cookies på sajten",
                    "kan jag stänga av kakor", "what cookies do you use"],
    "provide_personal_number": ["mitt personnummer är PNR_REDACTED", "PNR_REDACTED",
                                "pnr PNR_REDACTED", "it is PNR_REDACTED"],
}


def _load_trained(tmp_path: Path) -> TfidfIntentClassifier:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    context = ExecutionContext(GraphSchema({}), "test")
    config = TfidfIntentClassifier.get_default_config()
    classifier = TfidfIntentClassifier.create(config, storage, resource, context)
    classifier.train(TrainingData([Message(data={TEXT: text, INTENT: intent})
                                   for intent, texts in EXAMPLES.items() for text in texts]))
    return TfidfIntentClassifier.load(config, storage, resource, context)


def test_predicts_intents_after_save_and_load_with_accents_folded(tmp_path: Path) -> None:
    classifier = _load_trained(tmp_path)
    messages = classifier.process([Message(data={TEXT: "nar kommer mina pengar"}),
                                   Message(data={TEXT: "KAKOR?"}),
                                   Message(data={TEXT: "PNR_REDACTED är mitt nummer"})])
    assert [m.get(INTENT)["name"] for m in messages] == [
        "ask_next_payment", "faq_cookies", "provide_personal_number"]


def test_ranking_is_sorted_and_sums_to_one(tmp_path: Path) -> None:
    message = _load_trained(tmp_path).process([Message(data={TEXT: "när kommer pengarna"})])[0]
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 1e-6
    assert message.get(INTENT) == ranking[0]


@pytest.mark.parametrize("text", ["", "😀🙏", "Здравствуйте", "مرحبا"])
def test_text_without_known_features_gets_zero_confidence(tmp_path: Path, text: str) -> None:
    # Zero confidence sends such a message to the FallbackClassifier, never to a guess.
    message = _load_trained(tmp_path).process([Message(data={TEXT: text})])[0]
    assert message.get(INTENT)["confidence"] == 0.0


def test_untrained_classifier_leaves_messages_alone(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = TfidfIntentClassifier.get_default_config()
    classifier = TfidfIntentClassifier.create(config, storage, Resource("one"), context)
    classifier.train(TrainingData([Message(data={TEXT: "hej", INTENT: "greet"})]))
    loaded = TfidfIntentClassifier.load(config, storage, Resource("one"), context)
    assert loaded.process([Message(data={TEXT: "hej"})])[0].get(INTENT) is None
