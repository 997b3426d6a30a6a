"""Intent classifier: TF-IDF word and character n-grams with a logistic regression.

Replaces DIET for intents (DIET still extracts the ``benefit`` and ``language`` entities):
on our held-out data it is more accurate (see docs/nlu.md) and trains in seconds. Works on
the raw text, with accents folded so "lakarintyg" and "läkarintyg" are one word; the channel
placeholder PNR_REDACTED stays a word of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_model import TextModel, TextModelSettings
from bot.text_model_component import TextModelComponent

logger = logging.getLogger(__name__)



@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TfidfIntentClassifier(TextModelComponent, IntentClassifier):
    model_file = "intent_classifier.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [1, 4],
            "regularisation": 20.0,
            "ranking_length": 10,
        }

    def _settings(self) -> TextModelSettings:
        word = self._config["word_ngrams"]
        char = self._config["char_ngrams"]
        return TextModelSettings(word_ngrams=(int(word[0]), int(word[1])) if word else None,
                                 char_ngrams=(int(char[0]), int(char[1])),
                                 regularisation=float(self._config["regularisation"]),
                                 fold_accents=True)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                    if m.get(TEXT) and m.get(INTENT)]
        if len({intent for _, intent in examples}) < 2:
            logger.warning("TfidfIntentClassifier: fewer than two intents; not trained")
            return self._keep(None)
        texts, intents = zip(*examples, strict=True)
        return self._keep(TextModel.fit(list(texts), list(intents), self._settings()))

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        probabilities = self._model.probabilities(texts)
        classes = self._model.classes
        limit = int(self._config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = row.argsort(kind="stable")[::-1]
            ranking = [{"name": classes[i], "confidence": float(row[i])} for i in order[:limit]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
