"""Production hardening on the real processes: health and readiness, the HTTP API behind a
JWT, metrics moved by real turns, JSON log lines (docs/operations.md)."""

from __future__ import annotations

import importlib.util
import json
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .conftest import ROOT, Assistant, http_json


def api_token_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_token",
                                                  ROOT / "scripts" / "api_token.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def metric(base_url: str, line_start: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=30) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_and_readiness(assistant: Assistant) -> None:
    assert http_json(f"{assistant.base_url}/health") == {"status": "ok"}
    assert http_json(f"{assistant.base_url}/ready") == {
        "status": "ready", "checks": {"model": "ok", "tracker_store": "ok", "lock_store": "ok"}}


def test_the_http_api_needs_a_token(assistant: Assistant) -> None:
    tokens = api_token_module()
    url = f"{assistant.base_url}/status"
    assert status_of(url) == 401
    forged = tokens.make_token("x" * 48, "operator", "admin", 5)
    assert status_of(url, {"Authorization": f"Bearer {forged}"}) == 401
    token = tokens.make_token(assistant.jwt_secret, "operator", "admin", 5)
    assert http_json(url, headers={"Authorization": f"Bearer {token}"})["model_file"]


def test_turns_fallbacks_and_handoffs_are_counted(assistant: Assistant) -> None:
    base = assistant.base_url
    names = {"turns": 'assistant_turns_total{channel="rest"}',
             "timed": 'assistant_turn_seconds_count{channel="rest"}',
             "fallbacks": 'assistant_fallback_turns_total{channel="rest"}',
             "handoffs": 'assistant_handoffs_total{channel="rest",kind="support_line_requested"}'}
    before = {key: metric(base, name) for key, name in names.items()}
    assistant.texts("ops-metrics", "/nlu_fallback")
    assistant.texts("ops-metrics", "/human_handoff")
    after = {key: metric(base, name) for key, name in names.items()}
    assert {key: after[key] - before[key] for key in names} == {
        "turns": 2, "timed": 2, "fallbacks": 1, "handoffs": 1}


@pytest.mark.parametrize("name", ["rasa.log", "actions.log"])
def test_log_lines_are_json(assistant: Assistant, name: str) -> None:
    assistant.texts("ops-logs", "hej")
    log: Path = next(path for path in assistant.logs if path.name == name)
    records: list[dict[str, Any]] = []
    other: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            other.append(line)
    assert records and not other, other[:5]
    assert {"ts", "level", "service", "logger", "message"} <= set(records[-1])
