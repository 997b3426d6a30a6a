"""Third-party deprecation warnings stay out of the logs; ours stay in.

Rasa 3.6's dependencies (SQLAlchemy 1.4, pkg_resources, sanic_cors, TensorFlow, matplotlib's
pyparsing) warn a dozen times at every start about APIs *they* use: nothing an operator can
act on. A warning names the file that made the call (``stacklevel``), so one that our code
triggers by calling a deprecated API is still shown.

A filter in ``warnings.filters`` would not hold: Sanic puts ``once`` for every
DeprecationWarning in front of all filters when it is imported. So the drop happens where
warnings are shown, around ``warnings.showwarning``, also after ``logging.captureWarnings``
has replaced it (``common.structured_logs`` calls ``quiet_third_party_deprecations``
again).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES: tuple[type[Warning], ...] = (DeprecationWarning, PendingDeprecationWarning)
_MARK = "_drops_third_party_deprecations"

ShowWarning = Callable[..., None]


def is_ours(filename: str, root: Path = ROOT) -> bool:
    path = Path(filename).resolve() if filename else Path("/")
    venv = root / ".venv"
    return (path == root or root in path.parents) and not (
        venv in path.parents or ".venv" in path.parts or "site-packages" in path.parts)


def dropping(show: ShowWarning, root: Path = ROOT) -> ShowWarning:
    """``show`` without the deprecation warnings raised from other people's code."""

    def show_warning(message: Warning | str, category: type[Warning], filename: str,
                     lineno: int, file: TextIO | None = None, line: str | None = None
                     ) -> None:
        if issubclass(category, CATEGORIES) and not is_ours(filename, root):
            return
        show(message, category, filename, lineno, file, line)

    setattr(show_warning, _MARK, True)
    return show_warning


def quiet_third_party_deprecations(module: Any = warnings) -> None:
    """Wraps the current ``showwarning`` (idempotent)."""
    if not getattr(module.showwarning, _MARK, False):
        module.showwarning = dropping(module.showwarning)
