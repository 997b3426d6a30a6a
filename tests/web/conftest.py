"""The real stack (case backend, action server, `rasa run` with the web chat and its test
login) for the end-to-end tests in this folder; started once, only if one of them runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .stack import WebStack, running_stack


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with running_stack(tmp_path_factory.mktemp("webchat-stack")) as stack:
        yield stack
