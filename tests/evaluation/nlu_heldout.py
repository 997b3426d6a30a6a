"""NLU evaluation on a held-out part of our own data, per language, with thresholds.

Each language's examples are split 80/20, stratified by intent, with a fixed seed. A model
trained on the 80 % (both languages and the synonyms, like the real model) is tested on each
language's 20 %. Prints intent accuracy per language, writes Rasa's reports and a summary
JSON under --out, and exits non-zero below the thresholds (sv 95 %, en 93 %).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

NLU_DIR = Path("bot/data/nlu")
THRESHOLDS = {"sv": 0.95, "en": 0.93}
# Entities (benefit, language) as (type, value after synonyms) pairs, F1 per language.
ENTITY_THRESHOLDS = {"sv": 0.93, "en": 0.93}
SEED = 42


def entity_scores(model: str, test_file: Path) -> dict[str, float]:
    """Precision, recall and F1 of the (entity, value) pairs the model finds in each
    held-out example, values mapped through the synonyms as the assistant sees them."""
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    synonyms = load_data(str(NLU_DIR / "synonyms.yml")).entity_synonyms
    agent = Agent.load(model)
    found = expected = right = 0
    for example in load_data(str(test_file)).nlu_examples:
        truth = {(e["entity"], str(synonyms.get(str(e["value"]).lower(), e["value"])))
                 for e in example.get("entities") or []}
        parsed = asyncio.run(agent.parse_message(example.get("text")))
        guess = {(e["entity"], str(e["value"])) for e in parsed.get("entities") or []}
        found, expected, right = found + len(guess), expected + len(truth), \
            right + len(truth & guess)
    precision = right / found if found else 1.0
    recall = right / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": expected}


def split(workdir: Path) -> tuple[Path, dict[str, Path]]:
    from rasa.shared.nlu.training_data.loading import load_data

    train_dir = workdir / "train"
    train_dir.mkdir(parents=True)
    tests = {}
    for language in THRESHOLDS:
        data = load_data(str(NLU_DIR / language))
        train, test = data.train_test_split(train_frac=0.8, random_seed=SEED)
        train.persist_nlu(str(train_dir / f"{language}.yml"))
        tests[language] = workdir / f"test_{language}.yml"
        test.persist_nlu(str(tests[language]))
    (train_dir / "synonyms.yml").write_text((NLU_DIR / "synonyms.yml").read_text())
    return train_dir, tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/nlu"))
    parser.add_argument("--config", default="config.yml", help="pipeline to evaluate")
    args = parser.parse_args()

    from rasa.model_testing import test_nlu
    from rasa.model_training import train_nlu

    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        train_dir, tests = split(workdir)
        model = train_nlu(args.config, str(train_dir), str(workdir / "models"),
                          fixed_model_name="heldout")
        if model is None:
            print("training the held-out model failed", file=sys.stderr)
            return 1
        for language, test_file in tests.items():
            report_dir = args.out / language
            asyncio.run(test_nlu(model, str(test_file), str(report_dir), {"errors": True}))
            report = json.loads((report_dir / "intent_report.json").read_text())
            summary[language] = {"accuracy": report["accuracy"],
                                 "weighted_f1": report["weighted avg"]["f1-score"],
                                 "support": report["weighted avg"]["support"],
                                 "threshold": THRESHOLDS[language],
                                 "entities": entity_scores(model, test_file),
                                 "entity_f1_threshold": ENTITY_THRESHOLDS[language]}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    failed = False
    for language, result in summary.items():
        verdict = "ok" if result["accuracy"] >= result["threshold"] else "BELOW THRESHOLD"
        failed |= verdict != "ok"
        print(f"NLU held-out intent accuracy {language}: {result['accuracy']:.3f} "
              f"(threshold {result['threshold']:.2f}, {int(result['support'])} examples) "
              f"{verdict}")
        entities = result["entities"]
        verdict = "ok" if entities["f1"] >= result["entity_f1_threshold"] \
            else "BELOW THRESHOLD"
        failed |= verdict != "ok"
        print(f"NLU held-out entity F1 {language}: {entities['f1']:.3f} (precision "
              f"{entities['precision']:.3f}, recall {entities['recall']:.3f}, threshold "
              f"{result['entity_f1_threshold']:.2f}, {int(entities['support'])} entities) "
              f"{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
