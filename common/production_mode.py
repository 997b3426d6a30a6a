"""Production mode: ``ASSISTANT_MODE=production``, one setting read by the action server, Rasa's
channels and the case backend (casebackend/production.py), that turns the demo defaults into
refusals to start.

Without it everything runs as `make run` needs (the BankID simulator, the demo web chat login,
the local Twilio account); with it each of those stops the start with a message naming the
setting, so an insecure default can no longer be deployed by leaving a variable out.
"""

from __future__ import annotations

from collections.abc import Mapping

MODE_ENV = "ASSISTANT_MODE"
PRODUCTION = "production"
MODES = frozenset({"development", PRODUCTION})
TEST_IDENTITY_ENV = "ASSISTANT_TEST_IDENTITY"
REST_TOKEN_ENV = "REST_CHANNEL_TOKEN"
_ON = frozenset({"on", "1", "true", "yes"})


class ProductionModeError(ValueError):
    """A demo default or a test-only path is configured in production mode."""


def is_production(environ: Mapping[str, str]) -> bool:
    mode = (environ.get(MODE_ENV) or "development").strip().lower()
    if mode not in MODES:
        # A typo must not quietly mean "development".
        raise ProductionModeError(f"{MODE_ENV} must be development or production, not {mode!r}")
    return mode == PRODUCTION


def refuse_in_production(environ: Mapping[str, str], problem: str) -> None:
    if is_production(environ):
        raise ProductionModeError(f"{MODE_ENV}=production refuses to start: {problem}")


def action_server_refusals(environ: Mapping[str, str]) -> list[str]:
    """What the action server must not run with in production (names only, no values)."""
    if not is_production(environ):
        return []
    problems = []
    if environ.get("IDENTITY_PROVIDER", "simulator") == "simulator":
        problems.append("IDENTITY_PROVIDER is the BankID simulator (set it to bankid)")
    if environ.get(TEST_IDENTITY_ENV, "").strip().lower() in _ON:
        problems.append(f"{TEST_IDENTITY_ENV} is on (the test-only identity path)")
    return [f"{MODE_ENV}=production refuses to start: {problem}" for problem in problems]


def rasa_refusals(environ: Mapping[str, str]) -> list[str]:
    """What Rasa's process must have in production besides its channels' own checks."""
    if is_production(environ) and not environ.get(REST_TOKEN_ENV, "").strip():
        return [f"{MODE_ENV}=production refuses to start: {REST_TOKEN_ENV} is not set (the REST "
                "channel would answer anyone)"]
    return []
