"""Attack tests that need the running stack use the end-to-end one (tests/e2e/conftest.py)."""

from tests.e2e.conftest import assistant

__all__ = ["assistant"]
