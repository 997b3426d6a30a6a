"""Production mode: ``ASSISTANT_MODE=production`` turns the development defaults into refusals.

Without it the service runs on development keys with a warning, which suits `make run` and the
tests; with it a missing secret stops the start with a message naming the setting. The assistant's
processes read the same setting (common/production_mode.py).
"""

from __future__ import annotations

from collections.abc import Mapping

MODE_ENV = "ASSISTANT_MODE"
PRODUCTION = "production"
MODES = frozenset({"development", PRODUCTION})


class ProductionModeError(ValueError):
    """A development default or a test-only path is configured in production mode."""


def is_production(environ: Mapping[str, str]) -> bool:
    mode = (environ.get(MODE_ENV) or "development").strip().lower()
    if mode not in MODES:
        # A typo must not silently mean "development".
        raise ProductionModeError(f"{MODE_ENV} must be development or production, not {mode!r}")
    return mode == PRODUCTION


def refuse_in_production(environ: Mapping[str, str], problem: str) -> None:
    if is_production(environ):
        raise ProductionModeError(f"{MODE_ENV}=production refuses to start: {problem}")
