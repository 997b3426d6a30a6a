"""A TF-IDF + logistic regression text classifier, persisted as plain JSON (never pickled).

Shared by the intent classifier and the language detector: both learn from a few thousand
short examples, where word and character n-grams with a linear model generalise better than
a neural network trained from scratch (measured in docs/nlu.md).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

_WORD_PATTERN = r"(?u)\b\w+\b"


def fold_accents(text: str) -> str:
    """'Läkarintyg' and 'lakarintyg' become the same word: many write without å/ä/ö."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class TextModelSettings:
    word_ngrams: tuple[int, int] | None = (1, 2)
    char_ngrams: tuple[int, int] = (1, 4)
    regularisation: float = 20.0  # LogisticRegression's C
    fold_accents: bool = True
    min_df: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"word_ngrams": list(self.word_ngrams) if self.word_ngrams else None,
                "char_ngrams": list(self.char_ngrams), "regularisation": self.regularisation,
                "fold_accents": self.fold_accents, "min_df": self.min_df}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextModelSettings:
        word = data.get("word_ngrams")
        return cls(word_ngrams=(int(word[0]), int(word[1])) if word else None,
                   char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
                   regularisation=float(data["regularisation"]),
                   fold_accents=bool(data["fold_accents"]), min_df=int(data.get("min_df", 1)))


def _vectorizers(settings: TextModelSettings) -> list[TfidfVectorizer]:
    vectorizers = []
    if settings.word_ngrams:
        vectorizers.append(TfidfVectorizer(analyzer="word", ngram_range=settings.word_ngrams,
                                           token_pattern=_WORD_PATTERN, sublinear_tf=True,
                                           min_df=settings.min_df))
    vectorizers.append(TfidfVectorizer(analyzer="char_wb", ngram_range=settings.char_ngrams,
                                       sublinear_tf=True, min_df=settings.min_df))
    return vectorizers


class TextModel:
    def __init__(self, settings: TextModelSettings, vectorizers: list[TfidfVectorizer],
                 classifier: LogisticRegression) -> None:
        self.settings = settings
        self._vectorizers = vectorizers
        self._classifier = classifier
        self._informative: np.ndarray[Any, np.dtype[np.int64]] | None = None

    def _prepare(self, texts: list[str]) -> list[str]:
        if self.settings.fold_accents:
            return [fold_accents(t) for t in texts]
        return [t.lower() for t in texts]

    def _features(self, texts: list[str], fit: bool = False) -> scipy.sparse.csr_matrix:
        prepared = self._prepare(texts)
        blocks = [v.fit_transform(prepared) if fit else v.transform(prepared)
                  for v in self._vectorizers]
        return scipy.sparse.hstack(blocks).tocsr()

    def _informative_columns(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Feature columns other than the padding spaces every char_wb text has."""
        if self._informative is not None:
            return self._informative
        columns: list[int] = []
        offset = 0
        for vectorizer in self._vectorizers:
            columns.extend(offset + index for term, index in vectorizer.vocabulary_.items()
                           if term.strip())
            offset += len(vectorizer.vocabulary_)
        self._informative = np.asarray(sorted(columns), dtype=np.int64)
        return self._informative

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], settings: TextModelSettings) -> TextModel:
        model = cls(settings, _vectorizers(settings),
                    LogisticRegression(C=settings.regularisation, max_iter=5000,
                                       class_weight="balanced", random_state=0))
        model._classifier.fit(model._features(texts, fit=True), labels)
        return model

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self._classifier.classes_]

    def probabilities(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """One row per text, one column per class (in ``classes`` order).

        A text with no known feature at all (emoji only, another script, empty) gets a row
        of zeros: the model knows nothing about it, and its prior is no answer.
        """
        features = self._features(texts)
        probabilities = np.asarray(self._classifier.predict_proba(features))
        informative = features[:, self._informative_columns()]
        unknown = np.asarray(informative.getnnz(axis=1) == 0)
        probabilities[unknown] = 0.0
        return probabilities

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.as_dict(),
            "vectorizers": [{"vocabulary": {k: int(v) for k, v in vec.vocabulary_.items()},
                             "idf": vec.idf_.tolist()} for vec in self._vectorizers],
            "classes": self.classes,
            "coef": self._classifier.coef_.tolist(),
            "intercept": self._classifier.intercept_.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextModel:
        settings = TextModelSettings.from_dict(data["settings"])
        vectorizers = _vectorizers(settings)
        for vectorizer, stored in zip(vectorizers, data["vectorizers"], strict=True):
            vectorizer.vocabulary_ = stored["vocabulary"]
            vectorizer.idf_ = np.asarray(stored["idf"])
        classifier = LogisticRegression()
        classifier.classes_ = np.asarray(data["classes"])
        classifier.coef_ = np.asarray(data["coef"])
        classifier.intercept_ = np.asarray(data["intercept"])
        return cls(settings, vectorizers, classifier)
