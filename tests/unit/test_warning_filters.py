"""Third-party deprecation warnings are dropped; our own and other warnings are kept."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from common.warning_filters import dropping, quiet_third_party_deprecations

ROOT = Path("/srv/assistant")
SITE = "/srv/assistant/.venv/lib/python3.10/site-packages"


class SQLAlchemyStyleWarning(DeprecationWarning):
    """Libraries subclass DeprecationWarning (MovedIn20Warning, PyparsingDeprecationWarning)."""


def _shown(filename: str, category: type[Warning]) -> bool:
    shown: list[Any] = []
    show = dropping(lambda *args: shown.append(args), ROOT)
    show("old API", category, filename, 1)
    return bool(shown)


def test_a_dependencys_deprecation_is_dropped() -> None:
    assert not _shown(f"{SITE}/sanic_cors/extension.py", DeprecationWarning)
    assert not _shown(f"{SITE}/rasa/core/tracker_store.py", SQLAlchemyStyleWarning)
    assert not _shown("/usr/lib/python3.10/distutils/version.py", PendingDeprecationWarning)


def test_our_own_deprecations_are_shown() -> None:
    assert _shown("/srv/assistant/connectors/sms/channel.py", DeprecationWarning)
    assert _shown("/srv/assistant/scripts/serve.py", SQLAlchemyStyleWarning)


def test_other_warnings_of_dependencies_are_shown() -> None:
    assert _shown(f"{SITE}/rasa/core/agent.py", UserWarning)
    assert _shown(f"{SITE}/rasa/core/agent.py", RuntimeWarning)


def test_wrapping_twice_wraps_once() -> None:
    calls: list[Any] = []
    module = SimpleNamespace(showwarning=lambda *args: calls.append(args))
    quiet_third_party_deprecations(module)
    first = module.showwarning
    quiet_third_party_deprecations(module)
    assert module.showwarning is first
    module.showwarning("x", UserWarning, "/elsewhere/x.py", 1)
    assert len(calls) == 1
