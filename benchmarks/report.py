"""The suite's result document (suite.json): the measurements put together, the targets
they are held to and the turns that were not answered correctly."""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.harness.channels import BASELINE
from benchmarks.harness.scaling import Scaling, failures
from benchmarks.scenarios import Settings


def _target(value: float | None, target: float, at_least: bool, measured_on: str) -> dict[
        str, Any]:
    met = None if value is None else (value >= target if at_least else value <= target)
    return {"value": value, "target": target, "comparison": ">=" if at_least else "<=",
            "met": met, "measured_on": measured_on}


def targets(result: dict[str, Any]) -> dict[str, Any]:
    saturation = result["saturation"]["channels"]["rest"]["summary"]
    rest_only = result["open_loop"]["rest_only"]["overall"]
    lengths = result["conversation_length"]
    scaling_ratio = result["scaling"]["ratio"]
    settings = result["meta"]["settings"]
    window = (f"median of turns {settings['long_turns'] - settings['long_window'] + 1}-"
              f"{settings['long_turns']} of one conversation over turns "
              f"1-{settings['long_window']} of a fresh one asked turn about, bare REST")
    voice = result["closed_loop"]["channels"]["voice"]["ratio_to_baseline"]
    calls = (f"voice webhook over bare REST, {result['closed_loop']['conversations']} "
             "conversations each, closed loop")
    return {
        "voice_ratio_p50": _target(voice["p50"], 1.15, False, calls),
        "voice_ratio_p95": _target(voice["p95"], 1.15, False, calls),
        "saturation_turns_per_s": _target(
            saturation["turns_per_s"], 25.0, True,
            f"project REST channel, {result['saturation']['clients']} clients back to back, "
            "one Rasa process"),
        "open_loop_p95_ms": _target(
            rest_only["p95_ms"], 150.0, False, "REST (bare and project), Poisson schedule"),
        "conversation_length_ratio_sqlite": _target(
            lengths["sqlite"].get("ratio_last_to_first"), 1.5, False, window),
        "conversation_length_ratio_postgresql": _target(
            lengths["postgresql"].get("ratio_last_to_first"), 1.5, False, window),
        "two_replicas_over_one": _target(scaling_ratio, 1.7, True,
                                         "saturation through the balancer over one replica"),
    }


def failed_turns(result: dict[str, Any]) -> dict[str, int]:
    failed = {f"closed_loop.{name}": part["summary"]["failed"]
              for name, part in result["closed_loop"]["channels"].items()}
    failed.update({f"saturation.{name}": part["summary"]["failed"]
                   for name, part in result["saturation"]["channels"].items()})
    for phase in ("rest_only", "mixed"):
        failed[f"open_loop.{phase}"] = result["open_loop"][phase]["overall"]["failed"]
    for store, data in result["conversation_length"].items():
        if "failed" in data:
            failed[f"conversation_length.{store}"] = data["failed"]
    if result["scaling"]["status"] == "measured":
        failed["scaling"] = failures(result["scaling"])
    failed.update(personal_failures(result.get("personal") or {}))
    return failed


def personal_failures(personal: dict[str, Any]) -> dict[str, int]:
    return {f"personal.{name}": part["summary"]["failed"]
            for name, part in (personal.get("channels") or {}).items()}


def suite_result(mode: str, model: Path, settings: Settings, measured: dict[str, Any],
                 scaling_result: Scaling) -> dict[str, Any]:
    """The whole run's document, with its targets and correctness; ``total_seconds`` is
    left for the caller to fill in once everything is done."""
    postgres = measured["postgresql"]
    result: dict[str, Any] = {
        "meta": {"mode": mode,
                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "total_seconds": 0.0, "cpu_count": os.cpu_count(),
                 "python": platform.python_version(), "model": str(model),
                 "settings": dataclasses.asdict(settings),
                 "note": "client-side wall clock on loopback; the client shares the machine's "
                         "CPUs with the server, and other work on a shared machine adds "
                         "noise: compare ratios to the baseline of the same run"},
        "closed_loop": {"conversations": settings.conversations,
                        "round_seconds": settings.round_seconds,
                        "rounds": settings.rounds, "baseline": BASELINE,
                        "channels": measured["closed_loop"]},
        "saturation": {"clients": settings.saturation_clients,
                       "rasa_processes": 1, "channels": measured["saturation"]},
        "open_loop": measured["open_loop"],
        "conversation_length": {"sqlite": measured["long"],
                                "postgresql": postgres.get("long") or postgres},
        "processes": {"memory_idle": measured["memory_idle"],
                      "memory_after_load": measured["memory_after_load"],
                      "model_load": measured["model_load"],
                      "postgresql_server": {"model_load": postgres.get("model_load"),
                                            "memory": postgres.get("memory")}},
        "webchat_bubbles": measured["bubbles"],
        "personal": measured["personal"],
        "scaling": scaling_result,
    }
    result["targets"] = targets(result)
    failed = failed_turns(result)
    result["correctness"] = {"all_answers_correct": not any(failed.values()),
                             "failed_turns": failed}
    return result
