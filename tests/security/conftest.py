"""The attack suite runs against the same real stack as tests/e2e (Rasa, the action server and
the case backend as processes, SMS and phone on with test secrets), started once per run."""

from tests.e2e.conftest import assistant

__all__ = ["assistant"]
