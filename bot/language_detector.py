"""NLU component that tells which language a message is written in.

Trained during ``rasa train`` on the NLU examples themselves (every intent block carries
``metadata: {language: xx}``), so it knows this domain's words, spellings without å/ä/ö
and typos, and needs nothing downloaded. Character n-grams with a logistic regression
(``bot.text_model``); accents are kept, since å/ä/ö are strong Swedish signals.
The result is added to the parse data as ``language: {"code": "en" | None, "confidence": 0.97}``;
``code`` is None when the message is too short, not in Latin script or not clearly one language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_model import TextModel, TextModelSettings
from bot.text_model_component import TextModelComponent
from common.metadata import LANGUAGE

logger = logging.getLogger(__name__)

LANGUAGE_KEY = LANGUAGE
_NOISE = re.compile(r"https?://\S+|www\.\S+|PNR_REDACTED|\d+", re.IGNORECASE)
_LATIN_LETTER = re.compile(r"[a-zA-ZÀ-ÖØ-öø-ÿ]")


@dataclass(frozen=True)
class LanguageGuess:
    code: str | None
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "confidence": round(self.confidence, 4)}


def _normalise(text: str) -> str:
    return _NOISE.sub(" ", text).lower()


def example_language(message: Message) -> str | None:
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) or {}
    language = intent_metadata.get(LANGUAGE_KEY) if isinstance(intent_metadata, dict) else None
    return str(language) if language else None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LanguageDetector(TextModelComponent):
    """Adds the detected language of each message to its parse data."""

    model_file = "language_detector.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Below this probability the message does not change the conversation language.
            "min_confidence": 0.8,
            # Fewer Latin letters than this ("ok", "1", emoji) tell nothing about language.
            "min_letters": 2,
            "ngram_max": 4,
        }

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            language = example_language(example)
            if language:
                texts.append(example.get(TEXT))
                labels.append(language)
        if len(set(labels)) < 2:
            # e.g. a split without metadata: the component then leaves messages alone.
            logger.warning("LanguageDetector: fewer than two labelled languages; not trained")
            return self._keep(None)
        settings = TextModelSettings(word_ngrams=None,
                                     char_ngrams=(1, int(self._config["ngram_max"])),
                                     regularisation=10.0, fold_accents=False, min_df=2)
        return self._keep(TextModel.fit([_normalise(t) for t in texts], labels, settings))

    def guess(self, text: str | None) -> LanguageGuess:
        if not text or self._model is None:
            return LanguageGuess(None, 0.0)
        if len(_LATIN_LETTER.findall(_normalise(text))) < int(self._config["min_letters"]):
            return LanguageGuess(None, 0.0)
        probabilities = self._model.probabilities([_normalise(text)])[0]
        best = int(probabilities.argmax())
        code, confidence = self._model.classes[best], float(probabilities[best])
        if confidence < float(self._config["min_confidence"]):
            return LanguageGuess(None, confidence)
        return LanguageGuess(code, confidence)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            guess = self.guess(message.get(TEXT))
            message.set(LANGUAGE_KEY, guess.as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
